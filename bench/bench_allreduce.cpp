// The allreduce alone: MPI_Allreduce (SUM, in place) of P doubles, the one call a data-parallel
// iteration makes, for the parameter counts of the networks in bench/RESULTS.md. Each call starts
// after a barrier, so the time is the exchange, not waiting for a slower process.
//   mpirun -np 2 build/bench/digitnet_bench_allreduce
#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    struct Network {
        const char* name;
        int parameters;
    };
    // 400-25-10 (the seed), 784-256-10 (Fashion-MNIST gd), 784-1024-10 (bench/RESULTS.md's large config).
    const Network networks[] = {{"400-25-10", 25 * 401 + 10 * 26},
                                {"784-256-10", 256 * 785 + 10 * 257},
                                {"784-1024-10", 1024 * 785 + 10 * 1025}};
    if (rank == 0)
        std::printf("%-18s %10s %8s %12s %12s %10s\n", "network", "parameters", "ranks", "median_us", "min_us",
                    "GB/s_algo");
    for (const Network& network : networks) {
        std::vector<double> buffer(static_cast<std::size_t>(network.parameters) + 2, 1.0);
        std::vector<double> times;
        for (int i = 0; i < 60; ++i) {
            MPI_Barrier(MPI_COMM_WORLD);
            const double start = MPI_Wtime();
            MPI_Allreduce(MPI_IN_PLACE, buffer.data(), static_cast<int>(buffer.size()), MPI_DOUBLE, MPI_SUM,
                          MPI_COMM_WORLD);
            const double seconds = MPI_Wtime() - start;
            if (i >= 10) times.push_back(seconds);  // after warm-up
        }
        std::sort(times.begin(), times.end());
        const double median = times[times.size() / 2], fastest = times.front();
        // An allreduce moves 2 (N-1)/N of the buffer in and out of each rank (ring algorithm's bus bytes).
        const double bus_bytes = 2.0 * (size - 1) / size * static_cast<double>(buffer.size()) * sizeof(double);
        if (rank == 0)
            std::printf("%-18s %10d %8d %12.1f %12.1f %10.2f\n", network.name, network.parameters, size, median * 1e6,
                        fastest * 1e6, bus_bytes / median / 1e9);
    }
    MPI_Finalize();
    return 0;
}
