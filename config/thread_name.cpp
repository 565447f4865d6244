#include "config/thread_name.hpp"

#include <pthread.h>

namespace ns {

void name_this_thread(const char* name) {
  // Best effort: a name that does not fit is only a diagnostic loss.
  pthread_setname_np(pthread_self(), name);
}

} // namespace ns
