// ReadTar/MakeTar: the archives Docker's archive endpoint returns, GNU and PAX extensions, and
// malformed input (truncation, checksums, sizes).
#include "controller/model/tar_reader.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstring>

#include "tests/testing/testutil.h"

namespace dokku {
namespace {

// Recomputes the header checksum of the 512-byte block at `offset` after a test edited it.
void FixChecksum(std::string* tar, size_t offset) {
  char* h = tar->data() + offset;
  std::memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (int i = 0; i < 512; ++i) sum += static_cast<unsigned char>(h[i]);
  std::snprintf(h + 148, 8, "%06o", sum);
  h[155] = ' ';
}

// "<length> key=value\n" where length counts the whole record, its own digits included.
std::string PaxRecord(const std::string& key, const std::string& value) {
  const size_t body = key.size() + value.size() + 3;  // ' ', '=', '\n'
  size_t length = body + 1;
  while (std::to_string(length).size() + body != length) ++length;
  return std::to_string(length) + " " + key + "=" + value + "\n";
}

TEST(TarReaderTest, RoundTripsFilesSymlinksAndDirectories) {
  const std::vector<TarEntry> entries = {
      {"Procfile", '0', "web: serve\n", ""},     {"app", '5', "", ""},
      {"ProcLink", '2', "", "Procfile"},         {"empty", '0', "", ""},
      {"block", '0', std::string(512, 'b'), ""}, {"odd", '0', std::string(513, 'o'), ""},
  };
  const std::string tar = MakeTar(entries);
  EXPECT_EQ(tar.size() % 512, 0u);
  StatusOr<std::vector<TarEntry>> read = ReadTar(tar);
  ASSERT_OK(read);
  EXPECT_EQ(*read, entries);
}

TEST(TarReaderTest, SingleFileArchiveHasDockersLayout) {
  const std::string tar = MakeTar({{"CHECKS", '0', "/ ok\n", ""}});
  // One header, the data padded to a block, two zero blocks: 2048 bytes, as Docker sends.
  EXPECT_EQ(tar.size(), 2048u);
  EXPECT_EQ(tar.substr(257, 6), std::string("ustar\0", 6));
}

TEST(TarReaderTest, LongNamesUseGnuRecordsAndRoundTrip) {
  const std::string long_name = std::string(150, 'n') + "/Procfile";
  const std::string long_target = fmt::format("/{}", std::string(120, 't'));
  const std::vector<TarEntry> entries = {
      {long_name, '0', "x", ""}, {"link", '2', "", long_target}, {"after", '0', "y", ""}};
  StatusOr<std::vector<TarEntry>> read = ReadTar(MakeTar(entries));
  ASSERT_OK(read);
  EXPECT_EQ(*read, entries);
}

TEST(TarReaderTest, UstarPrefixIsJoinedToTheName) {
  std::string tar = MakeTar({{"Procfile", '0', "a", ""}});
  std::memcpy(tar.data() + 345, "some/dir", 8);
  FixChecksum(&tar, 0);
  StatusOr<std::vector<TarEntry>> read = ReadTar(tar);
  ASSERT_OK(read);
  EXPECT_EQ(read->at(0).name, "some/dir/Procfile");
}

TEST(TarReaderTest, PaxPathAppliesToTheNextEntryAndGlobalHeadersAreSkipped) {
  const std::string pax = PaxRecord("path", "a/very/long/Procfile") + PaxRecord("mtime", "1.5") +
                          PaxRecord("linkpath", "target");
  std::string tar = MakeTar({{"pax", 'g', "17 comment=hello\n", ""},
                             {"PaxHeader", 'x', pax, ""},
                             {"short", '2', "", "t"},
                             {"plain", '0', "p", ""}});
  StatusOr<std::vector<TarEntry>> read = ReadTar(tar);
  ASSERT_OK(read);
  ASSERT_EQ(read->size(), 2u);
  EXPECT_EQ(read->at(0).name, "a/very/long/Procfile");
  EXPECT_EQ(read->at(0).link_target, "target");
  EXPECT_EQ(read->at(1).name, "plain");
  EXPECT_EQ(read->at(1).link_target, "");
}

TEST(TarReaderTest, MalformedPaxRecordsAreErrors) {
  for (const std::string& pax : {std::string("99 path=x\n"), std::string("5 path=x\n"),
                                 std::string("x path=x\n"), std::string("10 pathx\n\n")}) {
    StatusOr<std::vector<TarEntry>> read =
        ReadTar(MakeTar({{"h", 'x', pax, ""}, {"f", '0', "", ""}}));
    EXPECT_FALSE(read.ok()) << pax;
  }
}

TEST(TarReaderTest, TypeNulMeansRegularFile) {
  std::string tar = MakeTar({{"f", '0', "data", ""}});
  tar[156] = '\0';
  FixChecksum(&tar, 0);
  StatusOr<std::vector<TarEntry>> read = ReadTar(tar);
  ASSERT_OK(read);
  EXPECT_EQ(read->at(0).type, '0');
}

TEST(TarReaderTest, StopsAtTheFirstZeroBlockAndAcceptsMissingTrailer) {
  std::string tar = MakeTar({{"a", '0', "1", ""}});
  tar += MakeTar({{"ignored", '0', "2", ""}});
  StatusOr<std::vector<TarEntry>> read = ReadTar(tar);
  ASSERT_OK(read);
  ASSERT_EQ(read->size(), 1u);

  const std::string no_trailer = MakeTar({{"a", '0', "1", ""}}).substr(0, 1024);
  read = ReadTar(no_trailer);
  ASSERT_OK(read);
  EXPECT_EQ(read->size(), 1u);
  read = ReadTar("");
  ASSERT_OK(read);
  EXPECT_TRUE(read->empty());
}

TEST(TarReaderTest, RejectsBadChecksums) {
  std::string tar = MakeTar({{"Procfile", '0', "web: x", ""}});
  tar[0] = 'Q';
  StatusOr<std::vector<TarEntry>> read = ReadTar(tar);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().message(), "malformed tar archive: header checksum mismatch");
}

TEST(TarReaderTest, AcceptsSignedChecksums) {
  std::string tar = MakeTar({{"\xe2\x9c\x93", '0', "x", ""}});  // bytes >= 0x80 in the name
  char* h = tar.data();
  std::memset(h + 148, ' ', 8);
  int sum = 0;
  for (int i = 0; i < 512; ++i) sum += static_cast<signed char>(h[i]);
  std::snprintf(h + 148, 8, "%06o", sum);
  h[155] = ' ';
  StatusOr<std::vector<TarEntry>> read = ReadTar(tar);
  ASSERT_OK(read);
  EXPECT_EQ(read->at(0).name, "\xe2\x9c\x93");
}

TEST(TarReaderTest, RejectsTruncation) {
  const std::string tar = MakeTar({{"Procfile", '0', std::string(1000, 'x'), ""}});
  EXPECT_EQ(ReadTar(tar.substr(0, 300)).status().message(),
            "malformed tar archive: truncated header");
  EXPECT_EQ(ReadTar(tar.substr(0, 512 + 999)).status().message(),
            "malformed tar archive: truncated entry data");
  // Data present but the padding cut off: the entry is complete, nothing follows.
  StatusOr<std::vector<TarEntry>> read = ReadTar(tar.substr(0, 512 + 1000));
  ASSERT_OK(read);
  EXPECT_EQ(read->at(0).data.size(), 1000u);
}

TEST(TarReaderTest, EnforcesTheEntrySizeLimit) {
  const std::string tar = MakeTar({{"big", '0', std::string(2000, 'x'), ""}});
  StatusOr<std::vector<TarEntry>> read = ReadTar(tar, 1999);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().message(), "tar entry \"big\" is larger than 1999 bytes");
  EXPECT_OK(ReadTar(tar, 2000));
}

TEST(TarReaderTest, Base256Sizes) {
  std::string tar = MakeTar({{"f", '0', "abc", ""}});
  // 3 in base-256: 0x80 marker, then big-endian bytes.
  std::memset(tar.data() + 124, 0, 12);
  tar[124] = static_cast<char>(0x80);
  tar[135] = 3;
  FixChecksum(&tar, 0);
  StatusOr<std::vector<TarEntry>> read = ReadTar(tar);
  ASSERT_OK(read);
  EXPECT_EQ(read->at(0).data, "abc");

  // Huge and negative base-256 sizes are refused without reading anything.
  tar[130] = 1;
  FixChecksum(&tar, 0);
  EXPECT_EQ(ReadTar(tar).status().message(), "malformed tar archive: truncated entry data");
  std::memset(tar.data() + 124, 0xFF, 12);
  FixChecksum(&tar, 0);
  EXPECT_EQ(ReadTar(tar).status().message(), "malformed tar archive: bad size field");
}

TEST(TarReaderTest, RejectsNonOctalSizes) {
  std::string tar = MakeTar({{"f", '0', "abc", ""}});
  std::memcpy(tar.data() + 124, "0000000009 ", 11);
  FixChecksum(&tar, 0);
  EXPECT_EQ(ReadTar(tar).status().message(), "malformed tar archive: bad size field");
}

TEST(TarReaderTest, OversizedGnuLongNameIsRefused) {
  const std::vector<TarEntry> entries = {{"././@LongLink", 'L', std::string(70000, 'n'), ""},
                                         {"f", '0', "", ""}};
  EXPECT_EQ(ReadTar(MakeTar(entries), 1 << 20).status().message(),
            "malformed tar archive: oversized name record");
}

// Seeds of the fuzz corpus, written by Python's tarfile module in its three formats.
TEST(TarReaderTest, ReadsArchivesWrittenByAnotherImplementation) {
  const std::string dir = std::string(DOKKUD_SOURCE_DIR) + "/tests/fuzz/corpus/tar/";
  StatusOr<std::vector<TarEntry>> read = ReadTar(testutil::ReadFileOr(dir + "ustar_single"));
  ASSERT_OK(read);
  EXPECT_EQ(*read, (std::vector<TarEntry>{{"Procfile", '0', "web: serve\n", ""}}));

  read = ReadTar(testutil::ReadFileOr(dir + "ustar_symlink"));
  ASSERT_OK(read);
  EXPECT_EQ(*read, (std::vector<TarEntry>{{"ProcLink", '2', "", "Procfile"}}));

  read = ReadTar(testutil::ReadFileOr(dir + "gnu_longname"));
  ASSERT_OK(read);
  EXPECT_EQ(*read,
            (std::vector<TarEntry>{{"d/" + std::string(120, 'n'), '0', std::string(700, 'x'), ""},
                                   {"l", '2', "", std::string(130, 't')}}));

  read = ReadTar(testutil::ReadFileOr(dir + "pax_path"));
  ASSERT_OK(read);
  EXPECT_EQ(*read, (std::vector<TarEntry>{{"p/" + std::string(150, 'q'), '0', "CHECKS\n", ""},
                                          {"dir/", '5', "", ""}}));  // directories end in "/"
}

}  // namespace
}  // namespace dokku
