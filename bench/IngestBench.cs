using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;
using Platform.Workers.Ingestion;
using Platform.Workers.Queue;

namespace Platform.Bench;

/// <summary>
/// <c>ingest [--videos N] [--runs N]</c>: <c>sync_youtube</c> of one channel with N videos (default 10,000) from a
/// local fake of the YouTube Data API (Kestrel on loopback, documented response shapes, 50 per page), run by the
/// Workers' queue engine in-process against a fresh database. Three phases per run: the first import (every video
/// inserted), a re-sync with nothing changed (content hash skips every row), and a re-sync with 10 % of the titles
/// changed. Figures: videos per second from the job's started_at to completed_at (median over runs).
/// </summary>
public static class IngestBench
{
    private const string BenchQueue = "bench_ingest";

    public static async Task RunAsync(string serverConnectionString, int runs, int videos)
    {
        await using var database = await BenchDatabase.CreateAsync(serverConnectionString, "ingest");
        var system = BenchReport.System(database.ServerVersion);
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        await using var fake = await FakeChannelServer.StartAsync();
        using var host = BuildWorkersHost(database.ConnectionString, fake.ApiBase);
        await host.StartAsync();

        var userId = Guid.NewGuid();
        // The business plan, so the plan's item bounds (25,000 per account) do not cut the channel short.
        await using (var ensure = dataSource.CreateCommand(
            "SELECT ensure_user(@id); UPDATE subscription SET tier = 'business', status = 'active' WHERE user_id = @id"))
        {
            ensure.Parameters.AddWithValue("id", userId);
            await ensure.ExecuteNonQueryAsync();
        }

        var phases = new Dictionary<string, List<double>> { ["initial"] = [], ["unchanged"] = [], ["changed_10pct"] = [] };
        for (var run = 0; run < runs; run++)
        {
            var channelId = fake.AddChannel(videos);
            var accountId = await AddAccountAsync(dataSource, userId, channelId);
            phases["initial"].Add(videos / await SyncAsync(dataSource, userId, accountId, $"{run}-initial"));
            phases["unchanged"].Add(videos / await SyncAsync(dataSource, userId, accountId, $"{run}-unchanged"));
            fake.ChangeTitles(channelId, every: 10);
            phases["changed_10pct"].Add(videos / await SyncAsync(dataSource, userId, accountId, $"{run}-changed"));
        }

        await host.StopAsync();
        foreach (var (phase, rates) in phases)
        {
            BenchReport.Print($"ingest.youtube.{phase}", system, new JsonObject
            {
                ["videos"] = videos,
                ["page_size"] = 50,
                ["items_per_s"] = Math.Round(BenchReport.Median(rates)),
                ["runs"] = runs,
                ["items_per_s_runs"] = new JsonArray(rates.Select(r => (JsonNode)Math.Round(r)).ToArray()),
            });
        }
    }

    private static IHost BuildWorkersHost(string connectionString, string apiBase)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            // Only the sync runs: the tag_content / refresh_media jobs it enqueues wait on the unserved ingestion queue.
            ["Workers:Queues:default"] = "0",
            ["Workers:Queues:webhooks"] = "0",
            ["Workers:Queues:ingestion"] = "0",
            [$"Workers:Queues:{BenchQueue}"] = "1",
            ["YouTube:ApiKey"] = FakeChannelServer.ApiKey,
            ["YouTube:ApiBase"] = apiBase,
        });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        builder.AddJobQueue();
        builder.Services.AddContentIngestion();
        return builder.Build();
    }

    // Verified, as a proven owner's account is (issue 12): its imports are published, as in production.
    private static async Task<Guid> AddAccountAsync(NpgsqlDataSource dataSource, Guid userId, string channelId)
    {
        await using var command = dataSource.CreateCommand(
            "INSERT INTO platform_account (user_id, platform, external_id, verification_status, verification_method, verified_at) VALUES (@user, 'youtube', @channel, 'verified', 'youtube_oauth', now()) RETURNING id");
        command.Parameters.AddWithValue("user", userId);
        command.Parameters.AddWithValue("channel", channelId);
        return (Guid)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Runs one sync; returns its duration in seconds (started_at → completed_at).</summary>
    private static async Task<double> SyncAsync(NpgsqlDataSource dataSource, Guid userId, Guid accountId, string key)
    {
        Guid jobId;
        await using (var connection = await dataSource.OpenConnectionAsync())
        {
            // Each sync starts with the user's daily YouTube units whole (a 10,000-video walk spends about 400).
            await using (var reset = new NpgsqlCommand("DELETE FROM daily_allowance_usage WHERE scope_id = @user", connection))
            {
                reset.Parameters.AddWithValue("user", userId);
                await reset.ExecuteNonQueryAsync();
            }

            var job = await JobQueueClient.EnqueueAsync(connection, null, new SyncYouTubeArgs(accountId), new EnqueueOptions
            {
                UserId = userId,
                Queue = BenchQueue,
                IdempotencyKey = key,
            });
            jobId = job.JobId;
        }

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            await using var command = dataSource.CreateCommand(
                "SELECT status, error, extract(epoch FROM completed_at - started_at)::float8 FROM job_queue WHERE id = @id");
            command.Parameters.AddWithValue("id", jobId);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            var status = reader.GetString(0);
            if (status == JobStatus.Completed)
            {
                return reader.GetDouble(2);
            }

            if (status is JobStatus.Failed or JobStatus.Cancelled || deadline.Elapsed > TimeSpan.FromMinutes(10))
            {
                throw new InvalidOperationException($"sync {key} ended {status}: {(reader.IsDBNull(1) ? "" : reader.GetString(1))}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>channels.list, playlistItems.list and videos.list as YouTube answers them, for generated channels.</summary>
    private sealed class FakeChannelServer : IAsyncDisposable
    {
        public const string ApiKey = "bench-key";

        private readonly WebApplication app;
        private readonly Dictionary<string, List<(string Id, string Title)>> uploads = [];
        private readonly Dictionary<string, string> titles = [];

        private FakeChannelServer(WebApplication app) => this.app = app;

        public string ApiBase { get; private set; } = string.Empty;

        public static async Task<FakeChannelServer> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var fake = new FakeChannelServer(app);
            app.MapGet("/youtube/v3/channels", (HttpRequest r) => fake.Channel(r.Query["id"].ToString()));
            app.MapGet("/youtube/v3/playlistItems", (HttpRequest r) => fake.Page(r.Query["playlistId"].ToString(), r.Query["pageToken"].ToString()));
            app.MapGet("/youtube/v3/videos", (HttpRequest r) => fake.Videos(r.Query["id"].ToString().Split(',')));
            await app.StartAsync();
            fake.ApiBase = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single() + "/youtube/v3";
            return fake;
        }

        public string AddChannel(int videos)
        {
            var id = "UC" + Guid.NewGuid().ToString("N")[..22];
            lock (uploads)
            {
                uploads["UU" + id[2..]] = Enumerable.Range(0, videos).Select(i => ($"{id[2..8]}{i:D5}", $"Benchmark video {i}: PostgreSQL, queues and .NET")).ToList();
                foreach (var (videoId, title) in uploads["UU" + id[2..]])
                {
                    titles[videoId] = title;
                }
            }

            return id;
        }

        public void ChangeTitles(string channelId, int every)
        {
            lock (uploads)
            {
                var list = uploads["UU" + channelId[2..]];
                for (var i = 0; i < list.Count; i += every)
                {
                    list[i] = (list[i].Id, list[i].Title + " (updated)");
                    titles[list[i].Id] = list[i].Title;
                }
            }
        }

        public ValueTask DisposeAsync() => app.DisposeAsync();

        private IResult Channel(string id) => Results.Json(new JsonObject
        {
            ["kind"] = "youtube#channelListResponse",
            ["etag"] = "c",
            ["pageInfo"] = new JsonObject { ["totalResults"] = 1, ["resultsPerPage"] = 5 },
            ["items"] = new JsonArray(new JsonObject
            {
                ["kind"] = "youtube#channel",
                ["etag"] = "c1",
                ["id"] = id,
                ["snippet"] = new JsonObject { ["title"] = "Bench channel", ["customUrl"] = "@bench" },
                ["contentDetails"] = new JsonObject { ["relatedPlaylists"] = new JsonObject { ["likes"] = "", ["uploads"] = "UU" + id[2..] } },
            }),
        });

        private IResult Page(string playlistId, string token)
        {
            List<(string Id, string Title)> list;
            lock (uploads)
            {
                list = uploads[playlistId].ToList();
            }

            var offset = token.Length == 0 ? 0 : int.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(token)));
            var response = new JsonObject { ["kind"] = "youtube#playlistItemListResponse", ["etag"] = "p" };
            if (offset + 50 < list.Count)
            {
                response["nextPageToken"] = Convert.ToBase64String(Encoding.UTF8.GetBytes((offset + 50).ToString()));
            }

            response["items"] = new JsonArray(list.Skip(offset).Take(50).Select(v => (JsonNode)new JsonObject
            {
                ["kind"] = "youtube#playlistItem",
                ["etag"] = "i",
                ["id"] = "PI" + v.Id,
                ["contentDetails"] = new JsonObject { ["videoId"] = v.Id, ["videoPublishedAt"] = "2024-05-01T12:00:00Z" },
            }).ToArray());
            response["pageInfo"] = new JsonObject { ["totalResults"] = list.Count, ["resultsPerPage"] = 50 };
            return Results.Json(response);
        }

        private IResult Videos(string[] ids)
        {
            Dictionary<string, string> found;
            lock (uploads)
            {
                found = ids.Where(titles.ContainsKey).ToDictionary(id => id, id => titles[id]);
            }

            return Results.Json(new JsonObject
            {
                ["kind"] = "youtube#videoListResponse",
                ["etag"] = "v",
                ["items"] = new JsonArray(found.Keys.Select(id => (JsonNode)new JsonObject
                {
                    ["kind"] = "youtube#video",
                    ["etag"] = "v" + id,
                    ["id"] = id,
                    ["snippet"] = new JsonObject
                    {
                        ["publishedAt"] = "2024-05-01T12:00:00Z",
                        ["channelId"] = "UCbench",
                        ["title"] = found[id],
                        ["description"] = "A description long enough to matter for search: chapters, links and credits. " + id,
                        ["thumbnails"] = new JsonObject
                        {
                            ["default"] = new JsonObject { ["url"] = $"https://i.ytimg.com/vi/{id}/default.jpg", ["width"] = 120, ["height"] = 90 },
                            ["high"] = new JsonObject { ["url"] = $"https://i.ytimg.com/vi/{id}/hqdefault.jpg", ["width"] = 480, ["height"] = 360 },
                        },
                        ["tags"] = new JsonArray("postgresql", "dotnet", "benchmark"),
                        ["categoryId"] = "28",
                        ["liveBroadcastContent"] = "none",
                    },
                    ["contentDetails"] = new JsonObject { ["duration"] = "PT12M34S", ["dimension"] = "2d", ["definition"] = "hd" },
                    ["statistics"] = new JsonObject { ["viewCount"] = "1000", ["likeCount"] = "10", ["commentCount"] = "1" },
                }).ToArray()),
                ["pageInfo"] = new JsonObject { ["totalResults"] = found.Count, ["resultsPerPage"] = found.Count },
            });
        }
    }
}
