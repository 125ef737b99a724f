// GoogleTest entry point for tests that elaborate SystemC. SystemC elaborates
// once per process; gtest_discover_tests runs every test in its own process,
// so each test may build its own testbench. SystemC errors throw
// sc_core::sc_report, which GoogleTest reports as a failure of the test.
#include <cstdlib>

#include <gtest/gtest.h>
#include <systemc>

int sc_main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}

// Before SystemC starts: no banner in every test's output.
int main(int argc, char** argv) {
  setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}
