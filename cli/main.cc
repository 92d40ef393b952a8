// dokku: Dokku's command line over dokkud's state store.
#include <iostream>

#include "cli/cli.h"

int main(int argc, char** argv) {
  dokku::CliEnv env;
  env.vars = dokku::ProcessEnvironment();
  return dokku::RunCli({argv + 1, argv + argc}, {&std::cin, &std::cout, &std::cerr, 0}, env);
}
