using System.Text.Json;
using Platform.Core.Jobs;
using Platform.Core.Jobs.Args;

namespace Platform.Workers.Tests;

/// <summary>
/// What <see cref="JobTypes.CheckPayload"/> (the Api's gate) and <see cref="JobPayload.Bind{TArgs}"/> (the Workers')
/// say about payloads, field by field, and that typed args keep today's wire names.
/// </summary>
public class JobPayloadTests
{
    [Theory]
    [InlineData(TagContentArgs.Kind, """{"content_ids":[]}""", "payload.content_ids", "must be an array of 1 to 500 content item uuids")]
    [InlineData(RefreshMediaArgs.Kind, """{"content_ids":null}""", "payload.content_ids", "must be an array of uuids")]
    [InlineData(TagContentArgs.Kind, """{"content_ids":["0190a2b4-0000-7000-8000-000000000001","x"]}""", "payload.content_ids[1]", "must be a uuid")]
    [InlineData(TagContentArgs.Kind, """{"content_ids":"0190a2b4-0000-7000-8000-000000000001"}""", "payload.content_ids", "must be an array of uuids")]
    [InlineData(SyncYouTubeArgs.Kind, """{"channel":"x"}""", "payload.platform_account_id", "is required")]
    [InlineData(SyncFeedArgs.Kind, """{"platform_account_id":42}""", "payload.platform_account_id", "must be a uuid")]
    [InlineData(StripeWebhookArgs.Kind, """{"webhook_event_id":"0190a2b4-0000-7000-8000-000000000001","replay":"yes"}""", "payload.replay", "must be true or false")]
    [InlineData(EchoArgs.Kind, """{"delay_ms":600001}""", "payload.delay_ms", "must be an integer from 0 to 600000")]
    [InlineData(EchoArgs.Kind, """{"progress_steps":1e40}""", "payload.progress_steps", "must be an integer")]
    [InlineData(EchoCachedArgs.Kind, "17", "payload", "must be a JSON object")]
    public void A_payload_that_does_not_fit_names_the_field_and_what_it_must_be(string type, string payload, string field, string message)
    {
        var errors = JobTypes.CheckPayload(type, JsonDocument.Parse(payload).RootElement);

        Assert.Equal(message, Assert.Contains(field, errors));
    }

    [Theory]
    [InlineData(EchoArgs.Kind)]
    [InlineData(EchoCachedArgs.Kind)]
    public void Every_delay_echo_accepts_ends_inside_its_time_limit(string type)
    {
        Assert.True(JobTypes.TryGet(type, out var definition));
        var timeoutMs = (long)definition.Timeout.TotalMilliseconds;

        // The documented range (README: delay_ms 0-600,000) is accepted, and no accepted delay reaches the timeout,
        // which would fail the job and retry it.
        Assert.Empty(JobTypes.CheckPayload(type, JsonDocument.Parse("""{"delay_ms":600000,"progress_steps":100}""").RootElement));
        Assert.Contains("payload.delay_ms", JobTypes.CheckPayload(type, JsonDocument.Parse($$"""{"delay_ms":{{timeoutMs}}}""").RootElement));
    }

    [Fact]
    public void Content_batches_over_the_limit_fit_the_types_but_not_the_rules()
    {
        var ids = JsonSerializer.SerializeToElement(new { content_ids = Enumerable.Range(0, 501).Select(_ => Guid.NewGuid()) });

        Assert.NotNull(JobPayload.Bind<TagContentArgs>(ids).Args);
        Assert.Contains("payload.content_ids", JobTypes.CheckPayload(TagContentArgs.Kind, ids));
    }

    [Fact]
    public void Typed_args_keep_the_wire_names_and_bind_back()
    {
        var account = Guid.NewGuid();
        var json = JobPayload.Serialize(new SyncYouTubeArgs(account));

        Assert.Equal($$"""{"platform_account_id":"{{account}}"}""", json);
        Assert.Equal(account, JobPayload.Bind<SyncYouTubeArgs>(JsonDocument.Parse(json).RootElement).Args!.PlatformAccountId);
        Assert.Equal("""{"content_ids":[]}""", JobPayload.Serialize(new TagContentArgs([])));
        Assert.Equal("""{"slot":7}""", JobPayload.Serialize(new StripeReconcileArgs(7)));
        Assert.Empty(JobTypes.CheckPayload(StripeWebhookArgs.Kind, JsonDocument.Parse(
            """{"webhook_event_id":"0190a2b4-0000-7000-8000-000000000001","stripe_event_id":"evt_1","event_type":"invoice.paid","replay":true}""").RootElement));
    }

    [Fact]
    public void A_property_at_its_parameters_default_is_left_out_and_reads_back_the_same()
    {
        Assert.Equal("{}", JobPayload.Serialize(new EchoArgs()));
        Assert.Equal("""{"fail_times":2}""", JobPayload.Serialize(new EchoArgs(FailTimes: 2)));
        Assert.Equal(new EchoArgs(), JobPayload.Bind<EchoArgs>(JsonDocument.Parse("{}").RootElement).Args);
        Assert.Equal(new EchoArgs(FailTimes: 2), JobPayload.Bind<EchoArgs>(JsonDocument.Parse("""{"fail_times":2}""").RootElement).Args);

        // A required parameter (no default) is written whatever its value, or the payload would not bind back.
        Assert.Equal("""{"slot":0}""", JobPayload.Serialize(new StripeReconcileArgs(0)));
        Assert.Equal(0, JobPayload.Bind<StripeReconcileArgs>(JsonDocument.Parse("""{"slot":0}""").RootElement).Args!.Slot);
        Assert.Equal($$"""{"webhook_event_id":"{{Guid.Empty}}"}""", JobPayload.Serialize(new StripeWebhookArgs(Guid.Empty)));
        var webhook = new StripeWebhookArgs(Guid.NewGuid(), "evt_1", Replay: true);
        var json = JobPayload.Serialize(webhook);
        Assert.Equal($$"""{"webhook_event_id":"{{webhook.WebhookEventId}}","stripe_event_id":"evt_1","replay":true}""", json);
        Assert.Equal(webhook, JobPayload.Bind<StripeWebhookArgs>(JsonDocument.Parse(json).RootElement).Args);
    }

    [Fact]
    public void Every_job_type_is_listed_once_under_its_own_name()
    {
        Assert.Equal(
            ["echo", "echo_cached", "refresh_media", "stripe_reconcile", "stripe_webhook", "sync_feed", "sync_youtube", "tag_content"],
            JobTypes.All.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.True(JobTypes.TryGet(SyncFeedArgs.Kind, out var feed));
        Assert.Same(SyncFeedArgs.Definition, feed);
        Assert.Equal(JobQueues.Ingestion, feed.Queue);
    }
}
