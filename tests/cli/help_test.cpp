// Every subcommand answers --help with exit 0 and has its own section in docs/cli.md, so the
// reference cannot silently fall behind the binary; usage errors exit with 2.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/shared_data.h"

namespace understudy {
namespace {

struct CliRun {
  int exit_code = -1;
  std::string out;
};

CliRun Understudy(const std::string& args) {
  const std::string cmd = std::string("\"") + UNDERSTUDY_CLI + "\" " + args + " 2>&1";
  CliRun run;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) return run;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) run.out.append(buf, n);
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// The names listed under "Subcommands:" in a CLI11 help text (first word of each entry line).
std::vector<std::string> Subcommands(const std::string& help) {
  std::vector<std::string> names;
  std::istringstream in(help);
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Subcommands:", 0) == 0) {
      inside = true;
      continue;
    }
    if (!inside) continue;
    if (line.empty()) break;
    // Entries are indented by two spaces; continuation lines by many more.
    if (line.size() > 2 && line[0] == ' ' && line[1] == ' ' && line[2] != ' ') {
      names.push_back(line.substr(2, line.find(' ', 2) - 2));
    }
  }
  return names;
}

std::string CliDoc() {
  std::ifstream in(testing::SourceDir() / "docs" / "cli.md");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(CliHelp, EverySubcommandHasHelpAndADocSection) {
  const CliRun top = Understudy("--help");
  ASSERT_EQ(top.exit_code, 0) << top.out;
  const std::vector<std::string> commands = Subcommands(top.out);
  ASSERT_GE(commands.size(), 5u) << "could not read the subcommands from:\n" << top.out;
  const std::string doc = CliDoc();
  ASSERT_FALSE(doc.empty()) << "docs/cli.md is missing";

  std::vector<std::string> all;
  for (const std::string& c : commands) {
    const CliRun r = Understudy(c + " --help");
    EXPECT_EQ(r.exit_code, 0) << c << ": " << r.out;
    all.push_back(c);
    for (const std::string& sub : Subcommands(r.out)) {
      const CliRun rs = Understudy(c + " " + sub + " --help");
      EXPECT_EQ(rs.exit_code, 0) << c << " " << sub << ": " << rs.out;
      all.push_back(c + " " + sub);
    }
  }
  for (const std::string& c : all) {
    EXPECT_NE(doc.find("## `understudy " + c), std::string::npos)
        << "docs/cli.md has no section \"## `understudy " << c << "...`\"";
  }
}

TEST(CliHelp, UsageErrorsExitWithTwo) {
  EXPECT_EQ(Understudy("no-such-command").exit_code, 2);
  EXPECT_EQ(Understudy("metrics --no-such-flag").exit_code, 2);
}

}  // namespace
}  // namespace understudy
