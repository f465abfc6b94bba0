using Platform.Core.Ingestion;
using Platform.Core.Ingestion.Feeds;
using Platform.Workers.Ingestion.YouTube;

namespace Platform.Workers.Tests.Ingestion;

/// <summary>The small parsers the importers rely on.</summary>
public class ParsingTests
{
    [Theory]
    [InlineData("PT4M13S", 253)]
    [InlineData("PT1H2M3S", 3723)]
    [InlineData("P1DT2H", 93600)]
    [InlineData("P0D", 0)]
    [InlineData("PT15S", 15)]
    [InlineData("nonsense", null)]
    [InlineData("", null)]
    public void YouTube_durations_are_iso_8601(string value, int? seconds) =>
        Assert.Equal(seconds, YouTubeVideoMapper.Duration(value));

    [Theory]
    [InlineData("Wed, 02 Oct 2002 13:00:00 GMT", "2002-10-02T13:00:00Z")]
    [InlineData("Wed, 02 Oct 2002 15:00:00 +0200", "2002-10-02T13:00:00Z")]
    [InlineData("02 Oct 2002 08:00:00 EST", "2002-10-02T13:00:00Z")]
    [InlineData("Wed, 2 Oct 02 13:00 GMT", "2002-10-02T13:00:00Z")]
    [InlineData("2002-10-02T13:00:00Z", "2002-10-02T13:00:00Z")]
    [InlineData("Tue, 10 Jun 2025 04:00:00 CEST", "2025-06-10T02:00:00Z")]
    [InlineData("Tue 10 Jun 2025 04:00:00 PDT", "2025-06-10T11:00:00Z")]
    [InlineData("10 June 2025 04:00 +02:00", "2025-06-10T02:00:00Z")]
    [InlineData("Mon, 9 Jun 2025 23:30:00 GMT+2", "2025-06-09T21:30:00Z")]
    [InlineData("Wed, 02 Oct 2002 13:00:00", "2002-10-02T13:00:00Z")]
    [InlineData("2025-06-10 04:00:00+02:00", "2025-06-10T02:00:00Z")]
    [InlineData("2025-06-10T04:00:00.123456+05:30", "2025-06-09T22:30:00.123456Z")]
    [InlineData("2025-06-10", "2025-06-10T00:00:00Z")]
    [InlineData("Tue, 10 Jun 2025 10:30:00 IST", "2025-06-10T05:00:00Z")]
    [InlineData("Tue, 10 Jun 2025 04:00:00 ET", "2025-06-10T09:00:00Z")]
    [InlineData("Tue, 10 Jun 2025 04:00:00 +0200 (CEST)", "2025-06-10T02:00:00Z")]
    [InlineData("Tue, 10 Jun 2025 09:30:00 +0530", "2025-06-10T04:00:00Z")]
    [InlineData("Tue, 10 Jun 2025 04:00:00 Z", "2025-06-10T04:00:00Z")]
    [InlineData("2025-06-10T04:00:00", "2025-06-10T04:00:00Z")]
    [InlineData("2025-06-10T04:00", "2025-06-10T04:00:00Z")]
    [InlineData("2025-06-10T09:30:00+0530", "2025-06-10T04:00:00Z")]
    [InlineData("2025-06-10T09:30:00+05", "2025-06-10T04:30:00Z")]
    [InlineData("2025-06-10T04:00:00.1234567891Z", "2025-06-10T04:00:00.1234567Z")]
    [InlineData("2025-06-10T04:00:00,5Z", "2025-06-10T04:00:00.5Z")]
    [InlineData("2025-06-10t04:00:00z", "2025-06-10T04:00:00Z")]
    [InlineData("Tuesday, 10-Jun-25 04:00:00 GMT", "2025-06-10T04:00:00Z")]
    [InlineData("Tue Jun 10 04:00:00 2025", "2025-06-10T04:00:00Z")]
    [InlineData("Tue, 10 Jun 2025 04:00:00 GMT+05:30", "2025-06-09T22:30:00Z")]
    [InlineData("2025-06-10 09:30:00.123456789 +0530 IST", "2025-06-10T04:00:00.1234567Z")]
    [InlineData("Tue Jun 10 04:00:00 UTC 2025", "2025-06-10T04:00:00Z")]
    [InlineData("  Tue, 10 Jun 2025 04:00:00 GMT\n", "2025-06-10T04:00:00Z")]
    [InlineData("Tue, 10 Sept 2025 04:00:00 GMT", "2025-09-10T04:00:00Z")]
    [InlineData("10 Jun 2025 04:00:60 GMT", "2025-06-10T04:00:59Z")]
    public void Rss_dates_are_rfc_822_with_the_usual_liberties(string value, string expected) =>
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), FeedDate.Parse(value));

    [Theory]
    [InlineData("sometime last week")]
    [InlineData("Tue, 31 Feb 2025 04:00:00 GMT")]
    [InlineData("Tue, 10 Jun 2025 04:00:00 XYZ")]
    [InlineData("")]
    public void Unreadable_dates_stay_unknown(string value) => Assert.Null(FeedDate.Parse(value));

    [Theory]
    [InlineData("UCabcdefghijklmnopqrstuv", "UCabcdefghijklmnopqrstuv", null)]
    [InlineData("@SomeCreator", null, "@somecreator")]
    [InlineData("https://www.youtube.com/@SomeCreator/videos", null, "@somecreator")]
    [InlineData("youtube.com/channel/UCabcdefghijklmnopqrstuv", "UCabcdefghijklmnopqrstuv", null)]
    [InlineData("https://m.youtube.com/channel/UCabcdefghijklmnopqrstuv/featured", "UCabcdefghijklmnopqrstuv", null)]
    public void Channels_are_named_by_id_handle_or_url(string input, string? channelId, string? handle)
    {
        Assert.True(ChannelReference.TryParse(input, out var reference));
        Assert.Equal(channelId, reference.ChannelId);
        Assert.Equal(handle, reference.Handle);
    }

    [Theory]
    [InlineData("@สวัสดีครับ", "@สวัสดีครับ")]
    [InlineData("@नमस्ते_दुनिया", "@नमस्ते_दुनिया")]
    [InlineData("@l·l·l", "@l·l·l")]
    [InlineData("@Ünïcödé.Channel-1", "@ünïcödé.channel-1")]
    [InlineData("@%E0%B8%AA%E0%B8%A7%E0%B8%B1%E0%B8%AA%E0%B8%94%E0%B8%B5", "@สวัสดี")]
    [InlineData("https://www.youtube.com/@%E0%A4%A8%E0%A4%AE%E0%A4%B8%E0%A5%8D%E0%A4%A4%E0%A5%87/videos", "@नमस्ते")]
    [InlineData("youtube.com/@日本語のチャンネル", "@日本語のチャンネル")]
    [InlineData("@über_cafe", "@über_cafe")]
    public void Handles_in_any_script_are_accepted_percent_decoded_and_normalized(string input, string handle)
    {
        Assert.True(ChannelReference.TryParse(input, out var reference));
        Assert.Null(reference.ChannelId);
        Assert.Equal(handle, reference.Handle);
    }

    [Theory]
    [InlineData("@ab")]
    [InlineData("@สั")]
    [InlineData("@abcdefghijklmnopqrstuvwxyz012345")]
    [InlineData("@has space")]
    [InlineData("@semi;colon")]
    [InlineData("@%ZZbad")]
    [InlineData("@%00abc")]
    [InlineData("@emoji😀")]
    public void Handles_outside_what_youtube_accepts_are_refused(string input) => Assert.False(ChannelReference.TryParse(input, out _));

    [Theory]
    [InlineData("https://evil.example.com/@creator")]
    [InlineData("https://www.youtube.com/watch?v=dQw4w9WgXcQ")]
    [InlineData("@a")]
    [InlineData("UCshort")]
    [InlineData("")]
    public void Anything_else_is_not_a_channel(string input) => Assert.False(ChannelReference.TryParse(input, out _));

    [Fact]
    public void Atom_content_that_claims_base64_but_is_not_is_read_as_text_and_the_entry_kept()
    {
        var feed = FeedParser.Parse(
            System.Text.Encoding.UTF8.GetBytes(
                """
                <feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>t</title>
                  <entry><id>tag:x,2004:1</id><title>One</title><content type="text/html" mode="base64">not base64 at all!</content></entry>
                  <entry><id>tag:x,2004:2</id><title>Two</title><content type="application/octet-stream">SGVsbG8g
                  d29ybGQ=</content></entry>
                </feed>
                """),
            new Uri("https://x.example.com/feed"));

        Assert.Empty(feed.Dropped);
        Assert.Equal(["not base64 at all!", "Hello world"], feed.Items.Select(i => i.Description));
    }

    [Theory]
    [InlineData("application/x-shockwave-flash", "https://www.youtube.com/v/x", "player")]
    [InlineData("image/jpeg; charset=binary", "https://x/a", "image")]
    [InlineData("audio/mpeg", "https://x/a", "audio")]
    [InlineData("application/pdf", "https://x/a.pdf", "document")]
    [InlineData(null, "https://x/cover.JPG?size=2", "image")]
    [InlineData(null, "https://x/episode.mp3", "audio")]
    [InlineData("", "https://x/file", "document")]
    public void Media_kinds_follow_the_real_type(string? type, string url, string kind) => Assert.Equal(kind, FeedParser.Kind(type, url));

    [Fact]
    public void Html_becomes_one_line_of_plain_text() =>
        Assert.Equal("Hello & welcome to the show.", FeedParser.PlainText("<p>Hello &amp;amp; <b>welcome</b></p>\n<p>to the show.</p>"));
}
