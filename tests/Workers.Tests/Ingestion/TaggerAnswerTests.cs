using Platform.Workers.Ingestion.Tagging;

namespace Platform.Workers.Tests.Ingestion;

/// <summary>A language model's answer is outside text: its tags are made storable before they reach <c>content_tag</c>.</summary>
public sealed class TaggerAnswerTests
{
    [Fact]
    public void Tags_with_nul_or_unpaired_surrogates_in_the_answer_come_out_storable()
    {
        var tags = OpenAiCompatibleTagger.Parse("{\"tags\": [\"a\\u0000b\", \"x\\ud800\", \"c\0d\"]}", maxTags: 10);

        Assert.Equal(["ab", "x\uFFFD", "cd"], tags.Select(t => t.Tag).ToArray());
    }
}
