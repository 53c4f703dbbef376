// Draws of NEST 3's generators as NEST makes them (std::mt19937_64 seeded through randutils'
// seed_seq_fe128 with {rng_seed, seeder, vp}; libstdc++'s distributions), for the fixture
// Tests/Fixtures/nest_rng_reference.txt. Built by make_reference.sh against the
// randutils.hpp that the nest-simulator wheel installs.
#include <cstdio>
#include <random>
#include "randutils.hpp"

static std::mt19937_64 vp_rng(std::uint32_t seed, std::uint32_t vp) {
  randutils::seed_seq_fe128 sseq({seed, 0xb84c9baeu, vp});
  std::mt19937_64 rng;
  rng.seed(sseq);
  return rng;
}

int main() {
  const std::uint32_t seeds[] = {143202461u, 12345u};
  for (std::uint32_t seed : seeds)
    for (std::uint32_t vp : {0u, 3u}) {
      auto rng = vp_rng(seed, vp);
      std::printf("raw %u %u", seed, vp);
      for (int i = 0; i < 4; ++i) std::printf(" %llu", (unsigned long long)rng());
      std::printf("\n");
      std::uniform_real_distribution<> u(0.0, 1.0);
      std::printf("uniform %u %u", seed, vp);
      for (int i = 0; i < 4; ++i) std::printf(" %.17g", u(rng));
      std::printf("\n");
      std::normal_distribution<> n;
      std::printf("normal %u %u", seed, vp);
      for (int i = 0; i < 7; ++i) std::printf(" %.17g", n(rng));
      std::printf("\n");
      // One distribution object whose mean changes (as NEST's poisson_generator's param()).
      std::poisson_distribution<unsigned long> p;
      for (double mean : {0.3, 1.5, 8.0, 11.99, 12.0, 20.0, 55.3, 1000.0, 1.0e6}) {
        p.param(std::poisson_distribution<unsigned long>::param_type(mean));
        std::printf("poisson %u %u %.17g", seed, vp, mean);
        for (int i = 0; i < 12; ++i) std::printf(" %lu", p(rng));
        std::printf("\n");
      }
    }
  return 0;
}
