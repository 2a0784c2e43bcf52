#pragma once
// Progress of a long simulation on a terminal: one line on stderr,
// overwritten in place ('\r'), at most a few times a second, ending with a
// newline. The CLI shows it only when stderr is a terminal, so tests, pipes
// and CI see no change in output.
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

#include "serve/serving_events.hpp"

namespace jalapeno {

// Whether stderr is a terminal (isatty(2)): where a progress line belongs.
bool stderr_is_terminal();

class ProgressLine {
 public:
  // total_requests: how many the run will complete, 0 when not known (a
  // trace without max_requests). The first line is shown after
  // `first_after_s` of wall time (short runs print nothing), later ones at
  // least `every_s` apart. `clock` returns wall seconds from any origin
  // (steady_clock when empty): tests pass their own.
  ProgressLine(std::ostream& out, uint64_t total_requests, double first_after_s = 0.5,
               double every_s = 0.25, std::function<double()> clock = {});
  // Ends the line if one was shown (also when a run stops with an error).
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // Shows `p` if enough wall time has passed (always, for a finished run,
  // once a line has been shown).
  void update(const RunProgress& p);
  // Ends the line with a newline if one was shown; idempotent.
  void finish();
  bool shown() const { return shown_; }

  // The text of one line: simulated time, requests done (of how many, when
  // known), requests per wall second and, with a known total, the ETA.
  static std::string format(const RunProgress& p, uint64_t total_requests, double wall_s);

 private:
  double now() const;

  std::ostream& out_;
  uint64_t total_;
  double first_after_s_;
  double every_s_;
  std::function<double()> clock_;
  double start_s_ = 0;
  double last_s_ = 0;
  bool shown_ = false;
  bool ended_ = false;
  size_t width_ = 0;  // of the last line, to blank what a shorter one leaves
};

}  // namespace jalapeno
