// The kernel's list format for CPU and node sets ("0-3,8,10-11"), as in
// /sys/devices/system/{cpu,node}/{possible,online} and node*/cpulist.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fxs {

// The members, ascending as written; malformed parts are skipped, and no range
// yields more than 65536 members (a corrupt list cannot exhaust memory).
std::vector<uint32_t> parse_sysfs_list(std::string_view list);

// parse_sysfs_list of the file's first line; empty when the file is absent
// (CONFIG_NUMA off has no node directory).
std::vector<uint32_t> read_sysfs_list(const std::string& path);

}  // namespace fxs
