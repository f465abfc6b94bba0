using Platform.Core.Jobs;

namespace Platform.Workers.Tests;

/// <summary>The enqueue client's job ids: UUIDv7 (RFC 9562), strictly ascending within a batch as PostgreSQL orders uuids.</summary>
public class JobIdsTests
{
    [Fact]
    public void A_batch_of_ids_is_version_7_and_strictly_ascending_byte_by_byte()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var ids = JobIds.Ascending(5000);
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        Assert.Equal(5000, ids.Distinct().Count());
        for (var i = 0; i < ids.Length; i++)
        {
            var bytes = ids[i].ToByteArray(bigEndian: true);
            Assert.Equal(7, ids[i].Version);
            Assert.Equal(0b10, bytes[8] >> 6); // RFC 9562 variant
            var millis = (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes) >> 16;
            Assert.InRange(millis, before, after);
            if (i > 0)
            {
                Assert.True(ids[i - 1].ToByteArray(bigEndian: true).AsSpan().SequenceCompareTo(bytes) < 0, $"id {i} is not above id {i - 1}");
            }
        }

        Assert.Empty(JobIds.Ascending(0));
    }
}
