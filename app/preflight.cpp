#include "app/preflight.h"

#include <algorithm>

#include "app/evaluator_factory.h"
#include "runtime/inventory.h"
#include "search/search_options.h"
#include "search/searcher.h"
#include "space/space_options.h"

namespace mctsnas {

CheckedInputs check_run_inputs(const RunOptions& o) {
  CheckedInputs in;
  in.space = make_space(o.space);
  // Reads the table or the text dataset, as a run does.
  in.data_summary = make_evaluator(o, *in.space)->data_summary();
  in.searched = constrain(o, *in.space);
  make_searcher(o.search, in.searched.of(*in.space), o.seed);
  return in;
}

BudgeterOptions budgeter_options(const RunOptions& o) {
  BudgeterOptions bo;
  bo.resources = o.resources;
  bo.max_parallel = std::max(1, o.search.parallel);
  return bo;
}

void check_run_resources(const RunOptions& o) {
  if (runs_inline(o)) return;
  InventoryOptions io;
  io.probe_gpus = o.resources.devices != "cpu";
  Budgeter(probe_inventory(io), budgeter_options(o));
}

}  // namespace mctsnas
