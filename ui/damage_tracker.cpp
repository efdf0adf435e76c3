#include "ui/damage_tracker.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace fxs::ui {

namespace {

// Bounds in display coordinates; empty until something is added.
struct Bounds {
  float x0 = std::numeric_limits<float>::infinity(), y0 = x0;
  float x1 = -std::numeric_limits<float>::infinity(), y1 = x1;

  bool empty() const { return x1 < x0 || y1 < y0; }
  void add(float x, float y) {
    x0 = std::min(x0, x), y0 = std::min(y0, y);
    x1 = std::max(x1, x), y1 = std::max(y1, y);
  }
  void add(const Bounds& b) {
    if (b.empty()) return;
    add(b.x0, b.y0);
    add(b.x1, b.y1);
  }
  void clip(const float (&c)[4]) {
    x0 = std::max(x0, c[0]), y0 = std::max(y0, c[1]);
    x1 = std::min(x1, c[2]), y1 = std::min(y1, c[3]);
  }
};

bool same_vertex(const DamageVertex& a, const DamageVertex& b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// What decides how a command's triangles are drawn, apart from the triangles.
bool same_state(const DamageCmd& a, const DamageCmd& b) {
  return std::memcmp(a.clip, b.clip, sizeof a.clip) == 0 && a.texture == b.texture && a.vtx_offset == b.vtx_offset;
}

// Lists compared triangle by triangle: no callbacks, no vertex offsets (ImGui
// uses them only past 65,536 vertices), every index naming a vertex, whole
// triangles. Anything else is treated as changed everywhere it draws.
bool comparable(const DamageList& l) {
  if (l.idx.size() % 3 != 0) return false;
  for (const DamageCmd& c : l.cmds)
    if (c.callback || c.vtx_offset != 0 || c.idx_offset % 3 != 0 || c.elem_count % 3 != 0 ||
        size_t{c.idx_offset} + c.elem_count > l.idx.size())
      return false;
  for (uint16_t i : l.idx)
    if (i >= l.vtx.size()) return false;
  return true;
}

// Where the triangles at index positions [from, to) draw: each command's
// share, bounded by its vertices and its clip rectangle.
Bounds bound(const DamageList& l, size_t from, size_t to) {
  Bounds out;
  for (const DamageCmd& c : l.cmds) {
    size_t a = std::max<size_t>(from, c.idx_offset), b = std::min<size_t>(to, size_t{c.idx_offset} + c.elem_count);
    if (c.callback) {  // draws who knows what inside its clip rectangle
      Bounds r;
      r.add(c.clip[0], c.clip[1]);
      r.add(c.clip[2], c.clip[3]);
      out.add(r);
      continue;
    }
    if (a >= b) continue;
    Bounds r;
    for (size_t i = a; i < b; i++) {
      size_t v = size_t{l.idx[i]} + c.vtx_offset;
      if (v < l.vtx.size()) {
        r.add(l.vtx[v].x, l.vtx[v].y);
      } else {  // cannot happen in a comparable list; stay safe in the others
        r.add(c.clip[0], c.clip[1]);
        r.add(c.clip[2], c.clip[3]);
      }
    }
    r.clip(c.clip);
    out.add(r);
  }
  return out;
}

Bounds bound_all(const DamageList& l) { return bound(l, 0, l.idx.size()); }

bool same_triangle(const DamageList& a, size_t ia, const DamageList& b, size_t ib) {
  for (size_t k = 0; k < 3; k++)
    if (!same_vertex(a.vtx[a.idx[ia + k]], b.vtx[b.idx[ib + k]])) return false;
  return true;
}

// Where list `n` draws differently from list `o` (the same window a frame apart).
Bounds diff(const DamageList& o, const DamageList& n) {
  bool whole = o.cmds.size() != n.cmds.size() || !comparable(o) || !comparable(n);
  for (size_t k = 0; !whole && k < o.cmds.size(); k++) whole = !same_state(o.cmds[k], n.cmds[k]);
  if (whole) {
    Bounds b = bound_all(o);
    b.add(bound_all(n));
    return b;
  }
  const size_t m = o.idx.size(), nn = n.idx.size();
  // A triangle kept from the start (or the end) must fall in the same
  // command in both frames: stop the shared runs at the first command
  // boundary that moved.
  size_t head = std::min(m, nn), tail = head;
  for (size_t k = 0; k < o.cmds.size(); k++) {
    const size_t ob[2] = {o.cmds[k].idx_offset, size_t{o.cmds[k].idx_offset} + o.cmds[k].elem_count};
    const size_t nb[2] = {n.cmds[k].idx_offset, size_t{n.cmds[k].idx_offset} + n.cmds[k].elem_count};
    for (int e = 0; e < 2; e++) {
      if (ob[e] != nb[e]) head = std::min(head, std::min(ob[e], nb[e]));
      if (m - ob[e] != nn - nb[e]) tail = std::min(tail, std::min(m - ob[e], nn - nb[e]));
    }
  }
  size_t p = 0;
  while (p + 3 <= head && same_triangle(o, p, n, p)) p += 3;
  tail = std::min(tail, std::min(m, nn) - p);
  size_t s = 0;
  while (s + 3 <= tail && same_triangle(o, m - s - 3, n, nn - s - 3)) s += 3;
  Bounds b = bound(o, p, m - s);
  b.add(bound(n, p, nn - s));
  return b;
}

}  // namespace

PixelRect DamageTracker::update(std::span<const DamageList> lists, int w, int h) {
  Bounds damage;
  const bool whole = !valid_ || w != w_ || h != h_;
  if (!whole) {
    // Lists are matched in draw order while their windows match; from the
    // first difference (a popup opened, a window came to the front) every
    // list's whole extent, before and after, counts as changed.
    size_t i = 0;
    for (; i < prev_.size() && i < lists.size() && prev_[i].name == lists[i].name; i++)
      damage.add(diff(prev_[i].view(), lists[i]));
    for (size_t j = i; j < prev_.size(); j++) damage.add(bound_all(prev_[j].view()));
    for (size_t j = i; j < lists.size(); j++) damage.add(bound_all(lists[j]));
  }

  prev_.resize(lists.size());
  for (size_t i = 0; i < lists.size(); i++) {
    prev_[i].name.assign(lists[i].name);
    prev_[i].vtx.assign(lists[i].vtx.begin(), lists[i].vtx.end());
    prev_[i].idx.assign(lists[i].idx.begin(), lists[i].idx.end());
    prev_[i].cmds.assign(lists[i].cmds.begin(), lists[i].cmds.end());
  }
  w_ = w, h_ = h;
  valid_ = true;

  if (whole) return PixelRect{0, 0, w, h};
  if (damage.empty()) return {};
  // Every pixel whose centre a triangle in the bounds can cover.
  PixelRect r;
  r.x0 = std::clamp(static_cast<int>(std::floor(damage.x0)), 0, w);
  r.y0 = std::clamp(static_cast<int>(std::floor(damage.y0)), 0, h);
  r.x1 = std::clamp(static_cast<int>(std::ceil(damage.x1)), 0, w);
  r.y1 = std::clamp(static_cast<int>(std::ceil(damage.y1)), 0, h);
  return r.empty() ? PixelRect{} : r;
}

}  // namespace fxs::ui
