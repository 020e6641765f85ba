// Who owns which rows, and the readers of only some rows: every shard reader must give exactly the
// rows the whole-file reader gives, for each format.
#include <gtest/gtest.h>

#include <filesystem>

#include "digitnet/distributed/shard.hpp"
#include "digitnet/errors.hpp"
#include "digitnet/io/data_loader.hpp"
#include "distributed/distributed_data.hpp"

namespace digitnet {
namespace {

using testing::TempDir;

TEST(ShardRows, CoverEveryRowOnceInOrderWithSizesWithinOne) {
    for (int total : {1, 2, 7, 100, 60000})
        for (int size : {1, 2, 3, 4, 7}) {
            if (size > total) continue;
            int next = 0, smallest = total, largest = 0;
            for (int rank = 0; rank < size; ++rank) {
                const RowRange rows = shard_rows(total, rank, size);
                EXPECT_EQ(rows.first, next) << total << " " << size << " " << rank;
                next = rows.end();
                smallest = std::min(smallest, rows.count);
                largest = std::max(largest, rows.count);
            }
            EXPECT_EQ(next, total);
            EXPECT_LE(largest - smallest, 1);
        }
}

// Concatenating every rank's shard gives the whole set.
void expect_shards_make_whole(const std::string& path, int size) {
    const DataFile whole = load_data(path);
    std::vector<double> pixels;
    std::vector<int> labels;
    std::vector<double> test_pixels;
    for (int rank = 0; rank < size; ++rank) {
        const DataFileShard shard = load_data_shard(path, [&](int total) { return shard_rows(total, rank, size); });
        EXPECT_EQ(shard.train.total, whole.train.examples());
        EXPECT_EQ(shard.train.rows.first, static_cast<int>(labels.size()));
        EXPECT_EQ(shard.train.data.examples(), shard.train.rows.count);
        EXPECT_EQ(shard.train.data.features(), whole.train.features());
        EXPECT_EQ(shard.train.data.label_base, whole.train.label_base);
        pixels.insert(pixels.end(), shard.train.data.X.data.begin(), shard.train.data.X.data.end());
        labels.insert(labels.end(), shard.train.data.labels.begin(), shard.train.data.labels.end());
        ASSERT_EQ(shard.test.has_value(), whole.test.has_value());
        if (shard.test)
            test_pixels.insert(test_pixels.end(), shard.test->data.X.data.begin(), shard.test->data.X.data.end());
    }
    EXPECT_EQ(pixels, whole.train.X.data) << path;
    EXPECT_EQ(labels, whole.train.labels) << path;
    if (whole.test) {
        EXPECT_EQ(test_pixels, whole.test->X.data) << path;
    }
}

TEST(ShardReaders, IdxFolderCsvAndMatGiveTheWholeSetsRows) {
    TempDir dir;
    const testing::PixelSet train = testing::pattern_set(101, 5, 4, 1), test = testing::pattern_set(17, 5, 4, 2);
    testing::write_idx(dir.path().string(), "train", train);
    testing::write_idx(dir.path().string(), "t10k", test);
    testing::write_csv(dir.file("data.csv"), train);
    testing::write_mat(dir.file("data.mat"), testing::small_data_variables(23, 6, 3));
    // gzip-compressed copies: the reader decompresses up to its first row instead of seeking.
    TempDir gz;
    for (const char* name : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte"})
        testing::write_gz(gz.file(std::string(name) + ".gz"), testing::read_file(dir.file(name)));
    testing::write_gz(gz.file("data.csv.gz"), testing::read_file(dir.file("data.csv")));
    for (int size : {1, 2, 3, 7}) {
        expect_shards_make_whole(dir.path().string(), size);
        expect_shards_make_whole(dir.file("train-images-idx3-ubyte"), size);
        expect_shards_make_whole(dir.file("data.csv"), size);
        expect_shards_make_whole(dir.file("data.mat"), size);
        expect_shards_make_whole(gz.file("train-images-idx3-ubyte.gz"), size);
        expect_shards_make_whole(gz.file("data.csv.gz"), size);
    }
}

TEST(ShardReaders, CsvShardChecksItsOwnRowsAndNamesTheLine) {
    TempDir dir;
    testing::write_csv(dir.file("bad.csv"), testing::pattern_set(30, 3, 3, 1), /*bad_row=*/25);
    // Rows 0..14 of 30 are fine; rows 15..29 hold the bad one (line 27: the header is line 1).
    EXPECT_NO_THROW(load_data_shard(dir.file("bad.csv"), [](int total) { return shard_rows(total, 0, 2); }));
    try {
        load_data_shard(dir.file("bad.csv"), [](int total) { return shard_rows(total, 1, 2); });
        ADD_FAILURE() << "no error for the bad row";
    } catch (const InputError& e) {
        EXPECT_NE(std::string(e.what()).find("bad.csv: line 27, column 5"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace digitnet
