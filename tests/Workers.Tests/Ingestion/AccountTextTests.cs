using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;

namespace Platform.Workers.Tests.Ingestion;

/// <summary>
/// A platform account's own metadata (the channel's title, as YouTube sends it) is stored cleaned: a U+0000 in it
/// never fails the sync that records it.
/// </summary>
public class AccountTextTests(IngestionDatabase db) : IClassFixture<IngestionDatabase>
{
    [Fact]
    public async Task A_channel_title_with_nul_is_stored_cleaned_and_the_sync_completes()
    {
        db.YouTube.AddChannel("@nultitle", 2, title: "Null\0 channel");
        var accountId = await db.AddAccountAsync("youtube", "@nultitle", handle: "@nultitle");
        await using var workers = await db.StartWorkersAsync();

        var job = await db.EnqueueAsync(SyncYouTubeArgs.Kind, new { platform_account_id = accountId }, maxAttempts: 1);
        var done = await db.WaitForAsync(job.JobId, j => j.Status is JobStatus.Completed or JobStatus.Failed, TimeSpan.FromSeconds(60));

        Assert.True(done.Status == JobStatus.Completed, done.Error);
        Assert.Equal(1, await db.CountAsync("SELECT count(*) FROM platform_account WHERE id = @id AND title = 'Null channel'", ("id", accountId)));
    }
}
