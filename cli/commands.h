// The subcommands `futexscope` dispatches to. Each returns the exit status.
#pragma once

#include <string>

namespace fxs {

int cmd_record(int argc, char** argv);  // argv[0] = "record"
int cmd_report(int argc, char** argv);
int cmd_probe(int argc, char** argv);
int cmd_replay(int argc, char** argv);  // needs FXS_HAVE_UI, else a one-line error
int cmd_export(int argc, char** argv);
int cmd_live(int argc, char** argv);    // record + window; needs FXS_HAVE_UI
int cmd_stuck(int argc, char** argv);  // one look at a process's blocked threads
int cmd_ui(int argc, char** argv);      // window on a socket stream; needs FXS_HAVE_UI

// Prints "futexscope: MSG (try `futexscope CMD --help`)" and returns 2.
int usage_error(const char* cmd, const std::string& msg);

}  // namespace fxs
