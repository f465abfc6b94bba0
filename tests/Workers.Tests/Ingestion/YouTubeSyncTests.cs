using Platform.Core.Ingestion;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;
using Platform.Workers.Ingestion;

namespace Platform.Workers.Tests.Ingestion;

/// <summary><c>sync_youtube</c> end to end: the queue engine runs the real handler against a fake YouTube Data API.</summary>
public class YouTubeSyncTests(IngestionDatabase db) : IClassFixture<IngestionDatabase>
{
    private async Task<JobRecord> SyncAsync(Guid accountId, string expectedStatus = JobStatus.Completed, int? maxAttempts = null)
    {
        var job = await db.EnqueueAsync(SyncYouTubeArgs.Kind, new { platform_account_id = accountId }, maxAttempts: maxAttempts);
        return await db.WaitForStatusAsync(job.JobId, expectedStatus, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task A_channel_of_three_pages_is_imported_with_seo_fields_media_tags_and_progress()
    {
        var channelId = db.YouTube.AddChannel("@threepages", 120);
        var accountId = await db.AddAccountAsync("youtube", "@threepages", handle: "@threepages");
        await using var workers = await db.StartWorkersAsync();

        var job = await SyncAsync(accountId);

        var result = job.Result!.Value;
        Assert.Equal(channelId, result.GetProperty("channel_id").GetString());
        Assert.Equal(120, result.GetProperty("inserted").GetInt32());
        Assert.Equal(120, result.GetProperty("videos").GetInt32());
        var playlistRequests = db.YouTube.Requests.Where(r => r.Contains(FakeYouTube.UploadsOf(channelId), StringComparison.Ordinal)).ToList();
        Assert.Equal(3, playlistRequests.Count);
        Assert.Equal(2, playlistRequests.Count(r => r.Contains("pageToken=", StringComparison.Ordinal)));
        Assert.Equal(3, db.YouTube.Requests.Count(r => r.StartsWith("/youtube/v3/videos", StringComparison.Ordinal) && r.Contains(channelId[2..10], StringComparison.Ordinal)));

        Assert.Equal(120, await db.CountAsync(
            """
            SELECT count(*) FROM content_item
            WHERE platform_account_id = @id AND status = 'published' AND creator_id = @user
              AND slug LIKE 'video-%' AND meta_title = title AND meta_description = 'What the video is about.'
              AND duration_seconds = 253 AND category_id = 4 AND view_count = 1234
              AND canonical_url = 'https://www.youtube.com/watch?v=' || external_id
              AND thumbnail_url LIKE 'http://127.0.0.1:%/vi/%/hqdefault.jpg' AND published_at IS NOT NULL
            """,
            ("id", accountId), ("user", db.UserId)));
        Assert.Equal(360, await db.CountAsync(
            "SELECT count(*) FROM content_media m JOIN content_item c ON c.id = m.content_id WHERE c.platform_account_id = @id AND m.kind = 'thumbnail' AND m.width > 0",
            ("id", accountId)));
        Assert.Equal(240, await db.CountAsync(
            "SELECT count(*) FROM content_tag t JOIN content_item c ON c.id = t.content_id WHERE c.platform_account_id = @id AND t.source = 'platform' AND t.tag IN ('dotnet', 'postgres')",
            ("id", accountId)));

        // The handle was resolved to the channel id; the schedule takes over from here.
        Assert.Equal(1, await db.CountAsync(
            """
            SELECT count(*) FROM platform_account
            WHERE id = @id AND external_id = @channel AND uploads_playlist_id = @uploads AND title = 'Channel @threepages'
              AND last_synced_at IS NOT NULL AND next_sync_at > now() + interval '50 minutes'
              AND NOT sync_state ? 'running_job'
            """,
            ("id", accountId), ("channel", channelId), ("uploads", FakeYouTube.UploadsOf(channelId))));

        // Progress per page (items done / total), audited through job_log.
        var progress = await db.CountAsync("SELECT count(*) FROM job_log WHERE job_id = @id AND event = 'progress'", ("id", job.Id));
        Assert.True(progress >= 4, $"{progress} progress rows");
        Assert.Equal(1, await db.CountAsync(
            "SELECT count(*) FROM job_log WHERE job_id = @id AND event = 'progress' AND message = '50 of 120 videos'", ("id", job.Id)));

        // Follow-up jobs for the new items, one pair per page.
        foreach (var type in new[] { "tag_content", "refresh_media" })
        {
            Assert.Equal(3, await db.CountAsync(
                """
                SELECT count(*) FROM job_queue j WHERE j.job_type = @type AND j.user_id = @user
                  AND EXISTS (SELECT 1 FROM content_item c WHERE c.platform_account_id = @id AND j.payload->'content_ids' ? c.id::text)
                """,
                ("type", type), ("user", db.UserId), ("id", accountId)));
        }
    }

    [Fact]
    public async Task A_re_sync_writes_only_changed_items_and_marks_vanished_ones_removed()
    {
        var channelId = db.YouTube.AddChannel("@incremental", 60);
        var accountId = await db.AddAccountAsync("youtube", channelId);
        await using var workers = await db.StartWorkersAsync();
        await SyncAsync(accountId);
        var before = await db.ItemsAsync(accountId);

        var videos = db.YouTube.Playlists[FakeYouTube.UploadsOf(channelId)];
        var (retitled, redescribed) = (videos[3].Id, videos[42].Id);
        lock (videos)
        {
            videos[3].Title = "A better title";
            videos[42].Description = "Now with chapters.";
            videos[7].ViewCount = 999_999; // counters alone: refreshed, but not a content change (no updated_at, no follow-up jobs)
            videos.RemoveAt(10);
        }

        var removedId = before.Keys.Except(videos.Select(v => v.Id)).Single();
        var job = await SyncAsync(accountId);
        var after = await db.ItemsAsync(accountId);

        var result = job.Result!.Value;
        Assert.Equal(0, result.GetProperty("inserted").GetInt32());
        Assert.Equal(2, result.GetProperty("updated").GetInt32());
        Assert.Equal(57, result.GetProperty("unchanged").GetInt32());
        Assert.Equal(1, result.GetProperty("counters_refreshed").GetInt32());
        Assert.Equal(1, result.GetProperty("removed").GetInt32());
        Assert.Equal(999_999L, await db.ScalarAsync<long>($"SELECT view_count FROM content_item WHERE external_id = '{videos[7].Id}'"));
        Assert.Equal("removed", after[removedId].Status);
        Assert.Equal("A better title", after[retitled].Title);
        var touched = after.Where(a => a.Value.UpdatedAt != before[a.Key].UpdatedAt).Select(a => a.Key).Order().ToList();
        Assert.Equal(new[] { retitled, redescribed, removedId }.Order().ToList(), touched);

        // The video comes back: published again.
        lock (videos)
        {
            videos.Insert(10, new FakeVideo { Id = removedId, Title = before[removedId].Title });
        }

        var third = await SyncAsync(accountId);
        Assert.Equal("published", (await db.ItemsAsync(accountId))[removedId].Status);
        Assert.Equal(1, third.Result!.Value.GetProperty("updated").GetInt32());
    }

    [Fact]
    public async Task Quota_exhaustion_reschedules_after_the_daily_reset_without_using_an_attempt()
    {
        var channelId = db.YouTube.AddChannel("@quota", 5);
        var accountId = await db.AddAccountAsync("youtube", channelId);
        db.YouTube.QuotaExhausted = true;
        try
        {
            await using var workers = await db.StartWorkersAsync();
            var enqueued = await db.EnqueueAsync(SyncYouTubeArgs.Kind, new { platform_account_id = accountId });

            var job = await db.WaitForAsync(enqueued.JobId, j => j.Status == JobStatus.Pending && j.RunAt > DateTimeOffset.UtcNow.AddMinutes(4));

            Assert.Equal(0, job.Attempts);
            Assert.True(job.RunAt < DateTimeOffset.UtcNow.AddHours(26), $"run_at {job.RunAt}");
            Assert.Contains("rescheduled", await db.EventsAsync(job.Id));
            Assert.Equal(0, await db.CountAsync("SELECT count(*) FROM content_item WHERE platform_account_id = @id", ("id", accountId)));
            Assert.Equal(0, await db.CountAsync("SELECT count(*) FROM platform_account WHERE id = @id AND sync_state ? 'running_job'", ("id", accountId)));
        }
        finally
        {
            db.YouTube.QuotaExhausted = false;
        }
    }

    [Fact]
    public async Task An_unknown_channel_fails_permanently_with_a_clear_message()
    {
        var accountId = await db.AddAccountAsync("youtube", "@nobody-here", handle: "@nobody-here");
        await using var workers = await db.StartWorkersAsync();

        var job = await SyncAsync(accountId, JobStatus.Failed);

        Assert.Equal(1, job.Attempts);
        Assert.Contains("YouTube has no channel @nobody-here", job.Error);
    }

    [Fact]
    public async Task A_malformed_response_fails_the_attempt_and_writes_no_rows()
    {
        var channelId = db.YouTube.AddChannel("@malformed", 30);
        var accountId = await db.AddAccountAsync("youtube", channelId);
        db.YouTube.MalformedVideos = true;
        try
        {
            await using var workers = await db.StartWorkersAsync();

            var job = await SyncAsync(accountId, JobStatus.Failed, maxAttempts: 1);

            Assert.Contains("malformed JSON", job.Error);
            Assert.Equal(0, await db.CountAsync("SELECT count(*) FROM content_item WHERE platform_account_id = @id", ("id", accountId)));
            Assert.Equal(0, await db.CountAsync("SELECT count(*) FROM platform_account WHERE id = @id AND last_synced_at IS NOT NULL", ("id", accountId)));
        }
        finally
        {
            db.YouTube.MalformedVideos = false;
        }
    }

    [Fact]
    public async Task Duplicate_concurrent_syncs_of_one_account_run_once()
    {
        var channelId = db.YouTube.AddChannel("@duplicates", 10);
        var accountId = await db.AddAccountAsync("youtube", channelId);
        await using (var connection = await db.DataSource.OpenConnectionAsync())
        {
            await using var due = new Npgsql.NpgsqlCommand("UPDATE platform_account SET next_sync_at = now() - interval '1 minute' WHERE id = @id", connection);
            due.Parameters.AddWithValue("id", accountId);
            await due.ExecuteNonQueryAsync();
        }

        // Two replicas' schedule ticks at once, then the same slot's key enqueued again by hand.
        var options = new IngestionOptions();
        var ticks = await Task.WhenAll(
            SyncScheduler.ScheduleOnceAsync(db.DataSource, options, CancellationToken.None),
            SyncScheduler.ScheduleOnceAsync(db.DataSource, options, CancellationToken.None));
        var jobs = await db.CountAsync(
            "SELECT count(*) FROM job_queue WHERE job_type = 'sync_youtube' AND payload->>'platform_account_id' = @id", ("id", accountId.ToString()));
        var key = await db.ScalarAsync<string>(
            $"SELECT idempotency_key FROM job_queue WHERE job_type = 'sync_youtube' AND payload->>'platform_account_id' = '{accountId}'");
        var again = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            db.EnqueueAsync(SyncYouTubeArgs.Kind, new { platform_account_id = accountId }, idempotencyKey: key)));

        Assert.Equal(1, ticks.Sum());
        Assert.Equal(1, jobs);
        Assert.All(again, r => Assert.False(r.Created));
        Assert.Single(again.Select(r => r.JobId).Distinct());

        await using var workers = await db.StartWorkersAsync();
        await db.WaitForStatusAsync(again[0].JobId, JobStatus.Completed);
        Assert.Equal(1, db.YouTube.Requests.Count(r => r.Contains(FakeYouTube.UploadsOf(channelId), StringComparison.Ordinal)));
        Assert.Equal(0, await SyncScheduler.ScheduleOnceAsync(db.DataSource, options, CancellationToken.None));
    }

    [Fact]
    public async Task A_listing_that_stops_short_of_total_results_removes_only_what_videos_list_says_is_gone()
    {
        var channelId = db.YouTube.AddChannel("@shortlisting", 120);
        var accountId = await db.AddAccountAsync("youtube", channelId);
        await using var workers = await db.StartWorkersAsync();
        await SyncAsync(accountId);
        var videos = db.YouTube.Playlists[FakeYouTube.UploadsOf(channelId)];
        var (goneListed, goneUnlisted) = (videos[5].Id, videos[100].Id);

        // The second walk ends after 50 of pageInfo.totalResults = 120; two videos are deleted meanwhile, one of them
        // in the part of the channel the walk no longer reaches.
        db.YouTube.ListingLimit = 50;
        db.YouTube.Gone[goneListed] = true;
        db.YouTube.Gone[goneUnlisted] = true;
        try
        {
            var job = await SyncAsync(accountId);

            var result = job.Result!.Value;
            Assert.False(result.GetProperty("complete").GetBoolean());
            Assert.Equal(2, result.GetProperty("removed").GetInt32());
            var items = await db.ItemsAsync(accountId);
            Assert.Equal("removed", items[goneListed].Status);
            Assert.Equal("removed", items[goneUnlisted].Status);
            Assert.Equal(118, items.Values.Count(i => i.Status == "published"));
        }
        finally
        {
            db.YouTube.ListingLimit = null;
            db.YouTube.Gone.Clear();
        }
    }

    [Fact]
    public async Task A_handle_in_a_non_latin_script_reaches_for_handle()
    {
        var channelId = db.YouTube.AddChannel("@สวัสดีครับ", 3);
        Assert.True(ChannelReference.TryParse("@%E0%B8%AA%E0%B8%A7%E0%B8%B1%E0%B8%AA%E0%B8%94%E0%B8%B5%E0%B8%84%E0%B8%A3%E0%B8%B1%E0%B8%9A", out var reference));
        var accountId = await db.AddAccountAsync("youtube", reference.ExternalId, handle: reference.Handle);
        await using var workers = await db.StartWorkersAsync();

        var job = await SyncAsync(accountId);

        Assert.Equal("@สวัสดีครับ", reference.Handle);
        Assert.Equal(channelId, job.Result!.Value.GetProperty("channel_id").GetString());
        Assert.Contains(db.YouTube.Requests, r => r.Contains("forHandle=" + Uri.EscapeDataString("@สวัสดีครับ"), StringComparison.Ordinal));
        Assert.Equal(3, job.Result!.Value.GetProperty("inserted").GetInt32());
    }

    [Fact]
    public async Task Nul_characters_and_a_cut_emoji_in_video_texts_are_stored_cleaned()
    {
        var channelId = db.YouTube.AddChannel("@nultexts", 2);
        var videos = db.YouTube.Playlists[FakeYouTube.UploadsOf(channelId)];
        videos[0].Description = "before\u0000after";
        videos[0].Tags = ["nul\u0000tag", "fine"];
        videos[1].Title = new string('a', 499) + "\U0001F600";
        var accountId = await db.AddAccountAsync("youtube", channelId);
        await using var workers = await db.StartWorkersAsync();

        await SyncAsync(accountId, maxAttempts: 1);

        Assert.Equal(1, await db.CountAsync(
            "SELECT count(*) FROM content_item WHERE external_id = @id AND description = 'beforeafter' AND meta_description = 'beforeafter'",
            ("id", videos[0].Id)));
        Assert.Equal(1, await db.CountAsync(
            "SELECT count(*) FROM content_tag t JOIN content_item c ON c.id = t.content_id WHERE c.external_id = @id AND t.tag = 'nultag'",
            ("id", videos[0].Id)));
        Assert.Equal(1, await db.CountAsync(
            "SELECT count(*) FROM content_item WHERE external_id = @id AND title = @title",
            ("id", videos[1].Id), ("title", new string('a', 499) + "\U0001F600")));
    }

    [Fact]
    public async Task A_video_youtube_describes_incompletely_is_dropped_and_reported_without_losing_its_page_or_being_removed()
    {
        var channelId = db.YouTube.AddChannel("@incomplete", 5);
        var videos = db.YouTube.Playlists[FakeYouTube.UploadsOf(channelId)];
        var accountId = await db.AddAccountAsync("youtube", channelId);
        await using var workers = await db.StartWorkersAsync();
        await SyncAsync(accountId);
        videos[2].Title = null!;
        videos[0].Title = "Renamed";

        var job = await SyncAsync(accountId, maxAttempts: 1);

        var result = job.Result!.Value;
        Assert.Equal(1, result.GetProperty("dropped").GetInt32());
        Assert.Contains(videos[2].Id, result.GetProperty("dropped_reasons")[0].GetString());
        Assert.Equal(1, result.GetProperty("updated").GetInt32());
        Assert.Equal(0, result.GetProperty("removed").GetInt32());
        Assert.Equal("published", (await db.ItemsAsync(accountId))[videos[2].Id].Status);
    }
}
