#include "report/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>

namespace jalapeno {
namespace {

// A span of time for a person: seconds, minutes, hours or days.
std::string span_text(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  if (s < 120) return fmt::format("{:.1f} s", s);
  if (s < 7200) return fmt::format("{:.1f} min", s / 60);
  if (s < 172800) return fmt::format("{:.1f} h", s / 3600);
  return fmt::format("{:.1f} days", s / 86400);
}

}  // namespace

bool stderr_is_terminal() {
  return isatty(STDERR_FILENO) == 1;
}

ProgressLine::ProgressLine(std::ostream& out, uint64_t total_requests, double first_after_s,
                           double every_s, std::function<double()> clock)
    : out_(out),
      total_(total_requests),
      first_after_s_(first_after_s),
      every_s_(every_s),
      clock_(std::move(clock)) {
  start_s_ = now();
}

ProgressLine::~ProgressLine() {
  try {
    finish();
  } catch (...) {
    // A destructor must not throw.
  }
}

double ProgressLine::now() const {
  if (clock_) return clock_();
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string ProgressLine::format(const RunProgress& p, uint64_t total_requests, double wall_s) {
  std::string text = fmt::format("serve: {} simulated, {}", span_text(p.simulated_s), p.completed);
  if (total_requests > 0) {
    text +=
        fmt::format(" of {} requests ({:.1f}%)", total_requests,
                    100.0 * static_cast<double>(p.completed) / static_cast<double>(total_requests));
  } else {
    text += " requests";
  }
  const double rate = wall_s > 0 ? static_cast<double>(p.completed) / wall_s : 0;
  text += fmt::format(", {:.0f} requests/s", rate);
  if (p.finished) {
    text += fmt::format(", done in {}", span_text(wall_s));
  } else if (total_requests > 0 && rate > 0 && p.completed <= total_requests) {
    text += fmt::format(", ETA {}",
                        span_text(static_cast<double>(total_requests - p.completed) / rate));
  }
  return text;
}

void ProgressLine::update(const RunProgress& p) {
  if (ended_) return;
  const double t = now();
  const double wall = t - start_s_;
  if (p.finished) {
    if (!shown_) return;  // a short run: nothing was shown, nothing to end
  } else if (!shown_ ? wall < first_after_s_ : t - last_s_ < every_s_) {
    return;
  }
  std::string text = format(p, total_, wall);
  const size_t width = text.size();
  if (width < width_) text.append(width_ - width, ' ');
  width_ = width;
  out_ << '\r' << text << std::flush;
  shown_ = true;
  last_s_ = t;
}

void ProgressLine::finish() {
  if (ended_) return;
  ended_ = true;
  if (shown_) out_ << '\n' << std::flush;
}

}  // namespace jalapeno
