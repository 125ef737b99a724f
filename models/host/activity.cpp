#include "activity.hpp"

namespace sdla {

void accumulate(Activity& a, const Activity& b) {
  for (const auto& [component, counters] : b)
    for (const auto& [action, n] : counters) a[component][action] += n;
}

Activity difference(const Activity& a, const Activity& b) {
  Activity d = a;
  for (const auto& [component, counters] : b)
    for (const auto& [action, n] : counters) d[component][action] -= n;
  return d;
}

}  // namespace sdla
