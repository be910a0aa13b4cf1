// RunLock (app/run_lock.h): one live process per run directory.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <fstream>

#include "app/run_lock.h"
#include "test_util.h"

using namespace mctsnas;
namespace fs = std::filesystem;

// Issue 13, defect 2: run.lock stays on disk after a killed run, so deleting it looks
// like stale-lock cleanup; that must not let a second process into a live run.
TEST_CASE("deleting run.lock does not free a held run directory", "[run_lock]") {
  test::TempDir d;
  fs::create_directories(d / "r");
  RunLock held = RunLock::acquire(d / "r");
  REQUIRE(fs::exists(d / "r" / "run.lock"));
  fs::remove(d / "r" / "run.lock");
  CHECK_THROWS_WITH(RunLock::acquire(d / "r"), Catch::Contains("in use by another mctsnas process"));
  CHECK(RunLock::holder(d / "r").has_value());
}

TEST_CASE("run.lock holds the pid while held and is removed on a clean exit", "[run_lock]") {
  test::TempDir d;
  fs::create_directories(d / "r");
  {
    RunLock held = RunLock::acquire(d / "r");
    CHECK(RunLock::holder(d / "r") == static_cast<long>(getpid()));
    CHECK_THROWS_WITH(RunLock::acquire(d / "r"),
                      Catch::Contains("(pid " + std::to_string(getpid()) + ")"));
  }
  CHECK_FALSE(fs::exists(d / "r" / "run.lock"));
  CHECK_FALSE(RunLock::holder(d / "r").has_value());
  RunLock again = RunLock::acquire(d / "r");   // free again
  CHECK(fs::exists(d / "r" / "run.lock"));
}

TEST_CASE("a run.lock left by a killed run, or planted as a symlink, is harmless", "[run_lock]") {
  test::TempDir d;
  fs::create_directories(d / "r");
  test::write_text(d / "r" / "run.lock", "999999\n");   // a SIGKILLed holder's pid file
  test::write_text(d / "victim", "keep\n");
  CHECK_FALSE(RunLock::holder(d / "r").has_value());
  {
    RunLock a = RunLock::acquire(d / "r");
    CHECK(RunLock::holder(d / "r") == static_cast<long>(getpid()));
  }
  fs::create_symlink(d / "victim", d / "r" / "run.lock");
  {
    RunLock b = RunLock::acquire(d / "r");
    CHECK_FALSE(fs::is_symlink(d / "r" / "run.lock"));
  }
  std::ifstream in(d / "victim");
  std::string s;
  std::getline(in, s);
  CHECK(s == "keep");
}
