// The JSON bodies of the MPI messages (runtime/mpi_messages.h): a trial request and a
// trial result survive the trip whole, times move to the receiver's clock, and a
// malformed body is one error naming what is wrong. No MPI needed.
#include <catch2/catch.hpp>

#include <cmath>

#include "common/error.h"
#include "runtime/mpi_messages.h"

using namespace mctsnas;

TEST_CASE("MPI messages: a trial request round-trips", "[mpi_messages]") {
  TrialRequest r{~uint64_t{0}, Architecture{{3, 0, 7}}, true, 2};
  TrialRequest back = request_from_json(nlohmann::json::parse(request_to_json(r).dump()), "test");
  CHECK(back.id == r.id);
  CHECK(back.arch == r.arch);
  CHECK(back.baseline);
  CHECK(back.seed == 2);
}

TEST_CASE("MPI messages: a trial result round-trips, its times on the receiver's clock", "[mpi_messages]") {
  TrialOutcome o;
  o.id = 42;
  o.arch.choices = {1, 2};
  o.result.status = TrialStatus::ok;
  o.result.score = 0.25;
  o.result.metrics["val_per"] = 0.25;
  o.result.seconds = 3.5;
  o.budget.cpu_threads = 2;
  o.budget.gpu = 1;
  o.device = "cuda:1";
  o.host = "gpu7";
  o.rank = 3;
  o.started_at = 100.0;   // the sender's clock reads 104 when it sends
  o.finished_at = 103.5;
  const std::string body = outcome_to_json(o, 104.0).dump();
  TrialOutcome back = outcome_from_json(nlohmann::json::parse(body), 10.0, "test");   // receiver's clock: 10
  CHECK(back.id == 42);
  CHECK(back.arch == o.arch);
  CHECK(back.result.status == TrialStatus::ok);
  CHECK(back.result.score == 0.25);
  CHECK(back.result.metrics.at("val_per") == 0.25);
  CHECK(back.budget.cpu_threads == 2);
  CHECK(back.budget.gpu == std::optional<int>(1));
  CHECK(back.device == "cuda:1");
  CHECK(back.host == "gpu7");
  CHECK(back.rank == 3);
  CHECK(back.started_at == Approx(6.0));
  CHECK(back.finished_at == Approx(9.5));
}

TEST_CASE("MPI messages: a malformed body is one error naming the message and the sender", "[mpi_messages]") {
  MpiMessage m;
  m.source = 2;
  m.tag = MpiTag::result;
  m.body = "{not json";
  CHECK_THROWS_WITH(m.json(), Catch::StartsWith("MPI message 'result' from rank 2: not valid JSON"));
  CHECK_THROWS_WITH(outcome_from_json(nlohmann::json{{"id", 1}}, 0, "MPI result from rank 2"),
                    Catch::StartsWith("MPI result from rank 2: bad trial result"));
  CHECK_THROWS_WITH(request_from_json(nlohmann::json{{"id", "x"}}, "MPI trial from rank 0"),
                    Catch::StartsWith("MPI trial from rank 0: id: expected an integer"));
  CHECK_THROWS_WITH(request_from_json(nlohmann::json{{"id", 1}}, "MPI trial from rank 0"),
                    Catch::StartsWith("MPI trial from rank 0: bad trial request"));
}
