// DamageTracker: which rectangle of the window a frame's draw lists change
// (ui/damage_tracker.h). Lists here are built by hand the way ImGui builds
// them: quads of 4 vertices and 6 indices under one or more commands.
#include "ui/damage_tracker.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace fxs::ui {
namespace {

constexpr int kW = 800, kH = 600;

// A draw list under construction: quads, each command clipping the ones
// added after it.
struct List {
  std::string name;
  std::vector<DamageVertex> vtx;
  std::vector<uint16_t> idx;
  std::vector<DamageCmd> cmds;

  explicit List(std::string n, float clip_x1 = kW, float clip_y1 = kH) : name(std::move(n)) {
    cmd(0, 0, clip_x1, clip_y1);
  }
  List& cmd(float x0, float y0, float x1, float y1) {
    cmds.push_back(DamageCmd{{x0, y0, x1, y1}, 1, 0, uint32_t(idx.size()), 0, false});
    return *this;
  }
  List& quad(float x0, float y0, float x1, float y1, uint32_t col = 0xffffffff) {
    uint16_t b = uint16_t(vtx.size());
    for (auto [x, y] : {std::pair{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}) vtx.push_back({x, y, 0, 0, col});
    for (int k : {0, 1, 2, 0, 2, 3}) idx.push_back(uint16_t(b + k));
    cmds.back().elem_count += 6;
    return *this;
  }
  DamageList view() const { return DamageList{name, vtx, idx, cmds}; }
};

PixelRect update(DamageTracker& t, const std::vector<List>& lists) {
  std::vector<DamageList> views;
  for (const List& l : lists) views.push_back(l.view());
  return t.update(views, kW, kH);
}

void expect_rect(const PixelRect& r, int x0, int y0, int x1, int y1) {
  EXPECT_EQ(r.x0, x0);
  EXPECT_EQ(r.y0, y0);
  EXPECT_EQ(r.x1, x1);
  EXPECT_EQ(r.y1, y1);
}

// A table of rows: what a frame of the futex table looks like.
List table(const std::string& name, int rows, float y0 = 300) {
  List l(name);
  for (int i = 0; i < rows; i++) l.quad(10, y0 + 20.0f * i, 400, y0 + 20.0f * i + 15);
  return l;
}

TEST(DamageTracker, FirstFrameAndNewSizeAreWholeAndAnUnchangedFrameIsEmpty) {
  DamageTracker t;
  std::vector<List> frame{table("table", 5)};
  expect_rect(update(t, frame), 0, 0, kW, kH);
  EXPECT_TRUE(update(t, frame).empty());
  std::vector<DamageList> views{frame[0].view()};
  expect_rect(t.update(views, kW + 10, kH), 0, 0, kW + 10, kH);
  t.invalidate();
  expect_rect(t.update(views, kW + 10, kH), 0, 0, kW + 10, kH);
}

TEST(DamageTracker, AMovedQuadDamagesWhereItWasAndWhereItIsOnly) {
  DamageTracker t;
  List a = table("w", 5);
  a.quad(500, 10.5f, 520, 30.25f);  // a thumb on a seek bar
  a.quad(600, 500, 700, 520);        // drawn after it, unchanged
  update(t, {a});
  List b = table("w", 5);
  b.quad(540, 10.5f, 560, 30.25f);
  b.quad(600, 500, 700, 520);
  // Both positions, out to whole pixels; the rows before and the quad after stay.
  expect_rect(update(t, {b}), 500, 10, 560, 31);
}

TEST(DamageTracker, TextThatGrowsDamagesOnlyWhatMovedOrChanged) {
  DamageTracker t;
  List a("w");
  a.quad(0, 0, 10, 10).quad(10, 0, 20, 10);      // "ab"
  a.quad(100, 200, 110, 210);                     // a later line
  update(t, {a});
  List b("w");
  b.quad(0, 0, 10, 10).quad(10, 0, 20, 10).quad(20, 0, 30, 10);  // "abc": one more glyph
  b.quad(100, 200, 110, 210);
  // The new glyph only: the shared triangles at the start and at the end are found
  // even though the ones at the end now have other vertex numbers.
  expect_rect(update(t, {b}), 20, 0, 30, 10);
}

TEST(DamageTracker, AColourChangeIsDamageToo) {
  DamageTracker t;
  update(t, {table("w", 3)});
  List b("w");
  b.quad(10, 300, 400, 315).quad(10, 320, 400, 335, 0xff0000ff).quad(10, 340, 400, 355);
  expect_rect(update(t, {b}), 10, 320, 400, 335);
}

TEST(DamageTracker, ChangesAreCutToTheirClipRectangle) {
  DamageTracker t;
  List a("lanes", 300, 200);
  a.quad(-5000, 50, 100, 60);  // a bar starting far left of the view, clipped by its command
  update(t, {a});
  List b("lanes", 300, 200);
  b.quad(-4000, 50, 120, 60);
  expect_rect(update(t, {b}), 0, 50, 120, 60);
}

TEST(DamageTracker, OtherWindowsListsAreComparedOnTheirOwn) {
  DamageTracker t;
  List lanes("timeline");
  lanes.quad(0, 0, 50, 50);
  update(t, {lanes, table("table", 20)});
  List moved("timeline");
  moved.quad(10, 0, 60, 50);
  // The table (drawn after the timeline, unchanged) is not damage.
  expect_rect(update(t, {moved, table("table", 20)}), 0, 0, 60, 50);
}

TEST(DamageTracker, APopupOpeningOrClosingDamagesItsExtent) {
  DamageTracker t;
  update(t, {table("table", 5)});
  List tip("##Tooltip_00");
  tip.quad(50, 60, 250, 90);
  expect_rect(update(t, {table("table", 5), tip}), 50, 60, 250, 90);
  EXPECT_TRUE(update(t, {table("table", 5), tip}).empty());
  expect_rect(update(t, {table("table", 5)}), 50, 60, 250, 90);
}

TEST(DamageTracker, WindowsInANewOrderDamageBothExtents) {
  DamageTracker t;
  List a("a"), b("b");
  a.quad(0, 0, 100, 100);
  b.quad(50, 50, 200, 150);
  update(t, {a, b});
  // The same triangles, drawn in the other order, overlap differently.
  expect_rect(update(t, {b, a}), 0, 0, 200, 150);
}

TEST(DamageTracker, ANewClipRectangleDamagesTheWholeListBeforeAndAfter) {
  DamageTracker t;
  List a("w", 400, 400);
  a.quad(10, 10, 20, 20).quad(300, 300, 310, 310);
  update(t, {a});
  List b("w", 350, 400);  // scrolled or resized: every triangle is clipped anew
  b.quad(10, 10, 20, 20).quad(300, 300, 310, 310);
  expect_rect(update(t, {b}), 10, 10, 310, 310);
}

TEST(DamageTracker, TrianglesMovingToAnotherCommandAreDamage) {
  DamageTracker t;
  // Two commands with different clips; the same quads, but the boundary between
  // the commands moved by one quad: that quad is now clipped differently.
  List a("w");
  a.quad(0, 0, 10, 10).quad(20, 0, 30, 10);
  a.cmd(0, 0, 25, kH).quad(40, 0, 50, 10);
  update(t, {a});
  List b("w");
  b.quad(0, 0, 10, 10);
  b.cmd(0, 0, 25, kH).quad(20, 0, 30, 10).quad(40, 0, 50, 10);
  PixelRect r = update(t, {b});
  EXPECT_LE(r.x0, 20);
  EXPECT_GE(r.x1, 30);
  EXPECT_FALSE(r.empty());
}

TEST(DamageTracker, CallbacksAndBrokenListsCountAsChangedWhereTheyDraw) {
  DamageTracker t;
  List a("w", 300, 300);
  a.quad(10, 10, 20, 20);
  a.cmds.back().callback = true;
  update(t, {a});
  // A callback draws who knows what inside its clip rectangle: every frame.
  expect_rect(update(t, {a}), 0, 0, 300, 300);
  List broken("x");
  broken.quad(5, 5, 15, 15);
  update(t, {broken});
  broken.idx[0] = 999;  // names a vertex that is not there
  PixelRect r = update(t, {broken});
  EXPECT_FALSE(r.empty());
  EXPECT_LE(r.x0, 5);
}

}  // namespace
}  // namespace fxs::ui
