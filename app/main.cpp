#include "app/cli.h"

int main(int argc, char** argv) { return mctsnas::run_cli(argc, argv); }
