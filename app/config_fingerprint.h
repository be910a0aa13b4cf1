#pragma once
// The settings that decide a run's results, stored in tree.ckpt so that `resume`
// refuses a config edited since (config.resolved.yaml is a plain file: flipping
// objective.goal would negate every reward, swapping task.table would mix two
// tables). Everything in the resolved config counts, except the keys listed by
// resume_changeable_keys(): the trial target, the resources and where output goes.
#include <string>
#include <vector>

namespace mctsnas {

// Key paths (and prefixes, ending in '.') that may change between stop and resume.
const std::vector<std::string>& resume_changeable_keys();

// "key.path: value" lines, sorted, of every fingerprinted scalar of a resolved
// config (resolved_yaml()); sequences as key.path[i].
std::string config_fingerprint(const std::string& resolved_yaml);

// "" when the two fingerprints agree; otherwise one line naming each key that
// differs: "objective.goal was 'maximize', now 'minimize'; ...". A key that `before`
// lacks is no difference when `now` holds the value `defaults` (the fingerprint of a
// default config) gives it: a key a newer mctsnas added, at the default that keeps
// what the older one did, so a run it started still resumes.
std::string fingerprint_diff(const std::string& before, const std::string& now, const std::string& defaults = "");

}  // namespace mctsnas
