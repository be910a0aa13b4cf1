#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "runtime/inventory.h"

using namespace mctsnas;

TEST_CASE("Inventory: CPU lists parse and format", "[inventory]") {
  CHECK(parse_cpu_list("0-3,8,10-11") == std::vector<int>{0, 1, 2, 3, 8, 10, 11});
  CHECK(parse_cpu_list(" 5\n") == std::vector<int>{5});
  CHECK(parse_cpu_list("").empty());
  CHECK(parse_cpu_list("x-1").empty());
  CHECK(format_cpu_list({3, 0, 1, 2, 8, 10, 11}) == "0-3,8,10-11");
  CHECK(format_cpu_list({}) == "");
}

TEST_CASE("Inventory: this machine", "[inventory]") {
  InventoryOptions o;
  o.probe_gpus = false;
  Inventory inv = probe_inventory(o);
  REQUIRE(!inv.allowed_cpus.empty());
  CHECK(inv.pus == static_cast<int>(inv.allowed_cpus.size()));
  CHECK(inv.cores >= 1);
  CHECK(inv.cores <= inv.pus);
  // cpu_order is a permutation of the allowed CPUs; NUMA nodes partition them.
  auto order = inv.cpu_order;
  std::sort(order.begin(), order.end());
  CHECK(order == inv.allowed_cpus);
  std::multiset<int> in_nodes;
  for (const auto& n : inv.numa_nodes) in_nodes.insert(n.cpus.begin(), n.cpus.end());
  CHECK(std::vector<int>(in_nodes.begin(), in_nodes.end()) == inv.allowed_cpus);
  CHECK(inv.host_memory_bytes > 0);
  CHECK(inv.host_available_bytes > 0);
  CHECK(inv.host_available_bytes <= inv.host_memory_bytes);
  CHECK(!inv.cpu_model.empty());
  auto j = to_json(inv);
  CHECK(j["cpu"]["logical_cpus"] == inv.pus);
  CHECK(j["gpus"].is_array());
}

TEST_CASE("Inventory: libraries from /proc/self/maps and the BLAS they mean", "[inventory]") {
  std::string maps =
      "7f00-7f01 r-xp 00000000 08:01 1 /nonexistent/lib/libtorch_cpu.so.1.13.0\n"
      "7f01-7f02 r--p 00001000 08:01 1 /nonexistent/lib/libtorch_cpu.so.1.13.0\n"
      "7f02-7f03 r-xp 00000000 08:01 2 /nonexistent/blas/libblas.so.3\n"
      "7f03-7f04 rw-p 00000000 00:00 0 [heap]\n";
  auto libs = mapped_libraries(maps);
  REQUIRE(libs.size() == 2);   // de-duplicated, anonymous maps skipped
  CHECK(libs[1].path == "/nonexistent/blas/libblas.so.3");
  CHECK(classify_blas({libs[1]}, true) == "reference");
  CHECK(classify_blas({{"/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3", ""}}, true) == "openblas");
  CHECK(classify_blas({{"/opt/intel/lib/libmkl_rt.so.2", ""}}, true) == "mkl");
  CHECK(classify_blas({}, true) == "built-in");
  CHECK(classify_blas({}, false) == "none");
}

TEST_CASE("Inventory: CUDA versions compare", "[inventory]") {
  CHECK(cuda_major_minor("12.8") == Approx(12.08));
  CHECK(cuda_major_minor("13.0.48") == Approx(13.0));
  CHECK(cuda_major_minor("13") == Approx(13.0));
  CHECK(cuda_major_minor("") == 0);
  CHECK(cuda_major_minor("12.10") > cuda_major_minor("12.8"));
}

TEST_CASE("Doctor warnings: each names the problem and a fix", "[inventory]") {
  Inventory inv;
  inv.allowed_cpus = {0, 1};
  inv.pus = 2;
  inv.isa = {"avx2"};
  inv.host_available_bytes = int64_t{8} << 30;
  inv.host_memory_bytes = int64_t{8} << 30;
  CHECK(doctor_warnings(inv, 2, 1, int64_t{1} << 30, false).empty());

  auto has = [](const std::vector<DoctorWarning>& w, const std::string& text) {
    return std::any_of(w.begin(), w.end(), [&](const DoctorWarning& d) {
      return d.what.find(text) != std::string::npos && !d.fix.empty();
    });
  };
  Inventory ref = inv;
  ref.libtorch = LibraryInfo{"/usr/lib/libtorch_cpu.so.1.13", "1.13"};
  ref.blas = {{"/usr/lib/x86_64-linux-gnu/blas/libblas.so.3", ""}};
  ref.blas_kind = "reference";
  CHECK(has(doctor_warnings(ref, 1, 1, 0, false), "reference BLAS"));
  CHECK(has(doctor_warnings(inv, 4, 1, 0, false), "only 2 CPUs"));
  CHECK(has(doctor_warnings(inv, 4, 1, int64_t{4} << 30, false), "host memory"));
  CHECK(has(doctor_warnings(inv, 1, 1, 0, true), "none is visible"));   // wants GPUs, none visible
  Inventory old = inv;
  old.gpus.push_back(GpuInfo{0, "H100", int64_t{80} << 30, 0, "", -1});
  old.nvidia_driver = "535.1";
  old.driver_cuda_version = "12.2";
  old.cuda_runtime = LibraryInfo{"/x/libcudart.so.13", "13"};
  CHECK(has(doctor_warnings(old, 1, 1, 0, true), "older than the CUDA runtime"));
  old.driver_cuda_version = "13.0";
  CHECK(!has(doctor_warnings(old, 1, 1, 0, true), "older than the CUDA runtime"));
}
