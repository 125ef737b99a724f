// EXPECT_HAS(text, fragment): the text (an error message, a program's
// output) contains the fragment; on failure GoogleTest prints both.
#pragma once

#include <gmock/gmock.h>

#define EXPECT_HAS(haystack, needle) EXPECT_THAT(haystack, ::testing::HasSubstr(needle))
