// The C++ half of the probe: the Swift runtime links libstdc++ and unwinds through libgcc_s.
#include <atomic>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>

extern "C" int probe_cxx(char *out, size_t size) {
    std::string text;
    try {
        throw std::runtime_error("unwound");
    } catch (const std::exception &e) {
        text = e.what();
    }
    std::atomic<unsigned long long> counter{0};
    std::thread worker([&] {
        for (int i = 0; i < 1000; i++) counter.fetch_add(1);
    });
    worker.join();
    std::snprintf(out, size, "libstdc++ %d: exception %s, thread counted %llu", __GLIBCXX__, text.c_str(),
                  counter.load());
    return text == "unwound" && counter.load() == 1000;
}
