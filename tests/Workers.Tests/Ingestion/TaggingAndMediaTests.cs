using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Core.Ingestion;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;
using Platform.TestSupport;
using Platform.Workers.Ingestion;
using Platform.Workers.Ingestion.Tagging;

namespace Platform.Workers.Tests.Ingestion;

/// <summary><c>tag_content</c> (keyword tagger and an OpenAI-compatible endpoint) and <c>refresh_media</c> against local servers.</summary>
public class TaggingAndMediaTests(IngestionDatabase db) : IClassFixture<IngestionDatabase>
{
    private async Task<Guid> AddItemAsync(string title, string description, params string[] platformTags)
    {
        await using var command = db.DataSource.CreateCommand(
            """
            WITH item AS (
                INSERT INTO content_item (creator_id, platform, external_id, title, description)
                VALUES (@user, 'feed', @external, @title, @description) RETURNING id)
            INSERT INTO content_tag (content_id, tag, source) SELECT item.id, t, 'platform' FROM item, unnest(@tags) AS t
            """);
        command.Parameters.AddWithValue("user", db.UserId);
        command.Parameters.AddWithValue("external", "https://example.com/" + Guid.NewGuid());
        command.Parameters.AddWithValue("title", title);
        command.Parameters.AddWithValue("description", description);
        command.Parameters.AddWithValue("tags", platformTags);
        await command.ExecuteNonQueryAsync();
        return (await db.ScalarAsync<Guid>($"SELECT id FROM content_item WHERE title = '{title.Replace("'", "''")}' ORDER BY created_at DESC LIMIT 1"))!;
    }

    private async Task<Dictionary<string, float?>> AiTagsAsync(Guid contentId)
    {
        await using var command = db.DataSource.CreateCommand("SELECT tag, confidence FROM content_tag WHERE content_id = @id AND source = 'ai'");
        command.Parameters.AddWithValue("id", contentId);
        await using var reader = await command.ExecuteReaderAsync();
        var tags = new Dictionary<string, float?>();
        while (await reader.ReadAsync())
        {
            tags[reader.GetString(0)] = reader.IsDBNull(1) ? null : reader.GetFloat(1);
        }

        return tags;
    }

    [Fact]
    public async Task The_keyword_tagger_stores_salient_words_as_ai_tags_beside_the_platform_tags()
    {
        var id = await AddItemAsync(
            "Sourdough starter from scratch",
            "Feeding a sourdough starter takes flour, water and patience. The starter doubles in a warm kitchen.",
            "baking");
        await using var workers = await db.StartWorkersAsync();

        var job = await db.EnqueueAsync(TagContentArgs.Kind, new { content_ids = new[] { id } });
        await db.WaitForStatusAsync(job.JobId, JobStatus.Completed);
        var tags = await AiTagsAsync(id);

        Assert.Equal(["scratch", "sourdough", "starter"], tags.Keys.Where(t => tags[t] >= 0.5f).Order().ToArray());
        Assert.Equal(0.9f, tags["starter"]);
        Assert.DoesNotContain("the", tags.Keys);
        Assert.DoesNotContain("baking", tags.Keys);
        Assert.Equal(1, await db.CountAsync("SELECT count(*) FROM content_tag WHERE content_id = @id AND source = 'platform'", ("id", id)));
    }

    [Fact]
    public async Task With_an_endpoint_configured_tags_come_from_an_openai_compatible_chat_completion()
    {
        var requests = new ConcurrentQueue<(string? Authorization, JsonNode? Body)>();
        await using var server = await FakeHttpServer.StartAsync(app => app.MapPost("/v1/chat/completions", async (HttpRequest request) =>
        {
            requests.Enqueue((request.Headers.Authorization.ToString(), await JsonNode.ParseAsync(request.Body)));
            return Results.Json(new JsonObject
            {
                ["id"] = "chatcmpl-1",
                ["object"] = "chat.completion",
                ["created"] = 1_700_000_000,
                ["model"] = "test-model",
                ["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0,
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = "{\"tags\": [\"Bread\", \" fermentation \", \"bread\"]}" },
                    ["finish_reason"] = "stop",
                }),
                ["usage"] = new JsonObject { ["prompt_tokens"] = 50, ["completion_tokens"] = 10, ["total_tokens"] = 60 },
            });
        }));
        var id = await AddItemAsync("Rye bread", "Dense and sour.");
        await using var workers = await db.StartWorkersAsync(new Dictionary<string, string?>
        {
            ["Tagging:Endpoint"] = server.BaseUrl + "/v1",
            ["Tagging:ApiKey"] = "sk-test",
            ["Tagging:Model"] = "test-model",
        });

        var job = await db.EnqueueAsync(TagContentArgs.Kind, new { content_ids = new[] { id } });
        await db.WaitForStatusAsync(job.JobId, JobStatus.Completed);

        Assert.Equal(["bread", "fermentation"], (await AiTagsAsync(id)).Keys.Order().ToArray());
        var (authorization, body) = Assert.Single(requests);
        Assert.Equal("Bearer sk-test", authorization);
        Assert.Equal("test-model", body!["model"]!.GetValue<string>());
        Assert.Contains("Rye bread", body["messages"]![1]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task Under_the_service_defaults_the_tagger_waits_longer_than_the_default_ten_second_attempt_timeout()
    {
        await using var server = await FakeHttpServer.StartAsync(app => app.MapPost("/chat/completions", async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(11));
            return Results.Json(new JsonObject
            {
                ["choices"] = new JsonArray(new JsonObject { ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = "[\"slow\"]" } }),
            });
        }));
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Tagging:Endpoint"] = server.BaseUrl + "/chat/completions" });
        builder.AddServiceDefaults();
        builder.Services.AddSingleton(db.DataSource);
        builder.Services.AddContentIngestion();
        using var host = builder.Build();

        var tagger = host.Services.GetRequiredService<IContentTagger>();
        var tags = await tagger.TagAsync(new TaggableContent(Guid.NewGuid(), "Slow", "A slow model.", []), CancellationToken.None);

        Assert.IsType<OpenAiCompatibleTagger>(tagger);
        Assert.Equal("slow", Assert.Single(tags).Tag);
    }

    [Fact]
    public async Task The_schedule_re_checks_media_not_checked_for_a_week_once_per_hour()
    {
        var stale = await AddItemAsync("Stale media item", "Checked long ago.");
        var fresh = await AddItemAsync("Fresh media item", "Checked yesterday.");
        await using (var insert = db.DataSource.CreateCommand(
            """
            INSERT INTO content_media (content_id, kind, url, checked_at) VALUES
                (@stale, 'thumbnail', 'https://cdn.example.com/stale.jpg', now() - interval '8 days'),
                (@fresh, 'thumbnail', 'https://cdn.example.com/fresh.jpg', now() - interval '1 day')
            """))
        {
            insert.Parameters.AddWithValue("stale", stale);
            insert.Parameters.AddWithValue("fresh", fresh);
            await insert.ExecuteNonQueryAsync();
        }

        var options = new IngestionOptions();
        var first = await SyncScheduler.ScheduleOnceAsync(db.DataSource, options, CancellationToken.None, includeMediaRecheck: true);
        var second = await SyncScheduler.ScheduleOnceAsync(db.DataSource, options, CancellationToken.None, includeMediaRecheck: true);

        Assert.Equal(1, first);
        Assert.Equal(0, second);
        Assert.Equal(1, await db.CountAsync(
            """
            SELECT count(*) FROM job_queue
            WHERE job_type = 'refresh_media' AND idempotency_key LIKE 'media-recheck:%' AND user_id IS NULL
              AND payload->'content_ids' ? @stale AND NOT payload->'content_ids' ? @fresh
            """,
            ("stale", stale.ToString()), ("fresh", fresh.ToString())));
    }

    [Fact]
    public async Task Refresh_media_records_type_size_and_dimensions_and_flags_dead_media()
    {
        await using var server = await FakeFeedServer.StartAsync();
        server.Binaries["/a.png"] = Png(640, 360);
        server.Binaries["/b.jpg"] = Jpeg(1280, 720);
        server.NoHead.Add("/b.jpg");
        var id = await AddItemAsync("Media item", "With pictures.");
        await using (var insert = db.DataSource.CreateCommand(
            """
            INSERT INTO content_media (content_id, kind, url, position) VALUES
                (@id, 'thumbnail', @png, 0), (@id, 'image', @jpg, 1), (@id, 'image', @gone, 2)
            """))
        {
            insert.Parameters.AddWithValue("id", id);
            insert.Parameters.AddWithValue("png", server.Url("/a.png"));
            insert.Parameters.AddWithValue("jpg", server.Url("/b.jpg"));
            insert.Parameters.AddWithValue("gone", server.Url("/gone.jpg"));
            await insert.ExecuteNonQueryAsync();
        }

        await using var workers = await db.StartWorkersAsync();
        var job = await db.EnqueueAsync(RefreshMediaArgs.Kind, new { content_ids = new[] { id } });
        var done = await db.WaitForStatusAsync(job.JobId, JobStatus.Completed);

        Assert.Equal(1, done.Result!.Value.GetProperty("dead").GetInt32());
        Assert.Equal(1, await db.CountAsync(
            "SELECT count(*) FROM content_media WHERE url = @url AND width = 640 AND height = 360 AND content_type = 'image/png' AND byte_size = 4096 AND NOT is_dead AND checked_at IS NOT NULL",
            ("url", server.Url("/a.png"))));
        Assert.Equal(1, await db.CountAsync(
            "SELECT count(*) FROM content_media WHERE url = @url AND width = 1280 AND height = 720 AND content_type = 'image/jpeg' AND NOT is_dead",
            ("url", server.Url("/b.jpg"))));
        Assert.Equal(1, await db.CountAsync(
            "SELECT count(*) FROM content_media WHERE url = @url AND is_dead AND checked_at IS NOT NULL AND width IS NULL",
            ("url", server.Url("/gone.jpg"))));
        Assert.Contains(server.Requests, r => r.Path == "/b.jpg" && r.Method == "GET" && r.Range == "bytes=0-65535");
    }

    private static byte[] Png(int width, int height)
    {
        var bytes = new byte[4096];
        new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, (byte)'I', (byte)'H', (byte)'D', (byte)'R' }.CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(20), height);
        return bytes;
    }

    private static byte[] Jpeg(int width, int height)
    {
        var bytes = new byte[100_000];
        // SOI, an APP0 segment (16 bytes), then SOF0 with the frame size.
        new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10 }.CopyTo(bytes, 0);
        var sof = 2 + 2 + 16;
        new byte[] { 0xFF, 0xC0, 0x00, 0x11, 0x08 }.CopyTo(bytes, sof);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(sof + 5), (ushort)height);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(sof + 7), (ushort)width);
        return bytes;
    }
}
