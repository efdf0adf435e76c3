// A small command-line walker shared by the subcommands: `--opt VALUE`,
// `--opt=VALUE`, `-o VALUE`, flags, positionals, and everything after `--`.
#pragma once

#include <string>
#include <vector>

namespace fxs {

class ArgParser {
 public:
  ArgParser(int argc, char** argv, int first) {
    for (int i = first; i < argc; i++) args_.emplace_back(argv[i]);
  }

  bool done() const { return pos_ >= args_.size(); }
  // The current argument is exactly "--": the rest belongs to the command.
  bool at_command_separator() const { return !done() && args_[pos_] == "--"; }
  std::vector<std::string> rest_after_separator() {
    std::vector<std::string> r(args_.begin() + pos_ + 1, args_.end());
    pos_ = args_.size();
    return r;
  }
  const std::string& peek() const { return args_[pos_]; }
  bool is_option() const { return !done() && args_[pos_].size() > 1 && args_[pos_][0] == '-'; }

  // Matches a flag (no value) against any of its names.
  bool flag(std::initializer_list<const char*> names) {
    for (const char* n : names)
      if (args_[pos_] == n) {
        pos_++;
        return true;
      }
    return false;
  }

  // Matches an option with a value; on a missing value sets error().
  bool option(std::initializer_list<const char*> names, std::string& value) {
    const std::string& a = args_[pos_];
    for (const char* n : names) {
      std::string name(n);
      if (a == name) {
        if (pos_ + 1 >= args_.size()) {
          error_ = "option " + name + " needs a value";
          pos_ = args_.size();
          return true;
        }
        value = args_[pos_ + 1];
        pos_ += 2;
        return true;
      }
      if (a.rfind(name + "=", 0) == 0 && name.size() > 2) {
        value = a.substr(name.size() + 1);
        pos_++;
        return true;
      }
    }
    return false;
  }

  std::string take() { return args_[pos_++]; }
  const std::string& error() const { return error_; }

 private:
  std::vector<std::string> args_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace fxs
