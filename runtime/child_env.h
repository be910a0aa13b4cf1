#pragma once
// argv and envp for a child process (posix_spawn, or fork + execve, where only
// async-signal-safe calls may follow the fork: so both are built before it).
#include <spawn.h>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace mctsnas {

// This process's environment with `overrides` replacing variables of the same name.
std::vector<std::string> environment_with(const std::vector<std::pair<std::string, std::string>>& overrides);

// Null-terminated pointers into `v`'s strings; valid while `v` lives unchanged.
std::vector<char*> c_pointers(std::vector<std::string>& v);

// Initializes `attr` for a child in its own process group (a terminal Ctrl-C
// reaches only the search process), with no signal blocked and `default_signals`
// reset to their default action (this process may catch or ignore them).
// The caller destroys it.
void init_child_spawnattr(posix_spawnattr_t& attr, std::initializer_list<int> default_signals);

}  // namespace mctsnas
