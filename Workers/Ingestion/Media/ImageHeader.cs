using System.Buffers.Binary;

namespace Platform.Workers.Ingestion.Media;

/// <summary>Image dimensions from the first bytes of a PNG, GIF, JPEG or WebP file (no decoding).</summary>
public static class ImageHeader
{
    public static bool TryReadSize(ReadOnlySpan<byte> data, out int width, out int height)
    {
        width = height = 0;
        if (data.Length >= 24 && data[..8].SequenceEqual<byte>([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            width = BinaryPrimitives.ReadInt32BigEndian(data[16..]);
            height = BinaryPrimitives.ReadInt32BigEndian(data[20..]);
        }
        else if (data.Length >= 10 && data[0] == 'G' && data[1] == 'I' && data[2] == 'F')
        {
            width = BinaryPrimitives.ReadUInt16LittleEndian(data[6..]);
            height = BinaryPrimitives.ReadUInt16LittleEndian(data[8..]);
        }
        else if (data.Length >= 4 && data[0] == 0xFF && data[1] == 0xD8)
        {
            return TryJpeg(data, out width, out height);
        }
        else if (data.Length >= 30 && data[..4].SequenceEqual("RIFF"u8) && data[8..12].SequenceEqual("WEBP"u8))
        {
            var chunk = data[12..16];
            if (chunk.SequenceEqual("VP8 "u8))
            {
                width = BinaryPrimitives.ReadUInt16LittleEndian(data[26..]) & 0x3FFF;
                height = BinaryPrimitives.ReadUInt16LittleEndian(data[28..]) & 0x3FFF;
            }
            else if (chunk.SequenceEqual("VP8L"u8) && data.Length >= 25)
            {
                var bits = BinaryPrimitives.ReadUInt32LittleEndian(data[21..]);
                width = (int)(bits & 0x3FFF) + 1;
                height = (int)((bits >> 14) & 0x3FFF) + 1;
            }
            else if (chunk.SequenceEqual("VP8X"u8))
            {
                width = 1 + (data[24] | (data[25] << 8) | (data[26] << 16));
                height = 1 + (data[27] | (data[28] << 8) | (data[29] << 16));
            }
        }

        return width > 0 && height > 0;
    }

    private static bool TryJpeg(ReadOnlySpan<byte> data, out int width, out int height)
    {
        width = height = 0;
        var i = 2;
        while (i + 9 < data.Length)
        {
            if (data[i] != 0xFF)
            {
                return false;
            }

            var marker = data[i + 1];
            if (marker == 0xFF)
            {
                i++;
                continue;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(data[(i + 2)..]);
            // SOF0-SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
            if (marker is >= 0xC0 and <= 0xCF && marker is not (0xC4 or 0xC8 or 0xCC))
            {
                height = BinaryPrimitives.ReadUInt16BigEndian(data[(i + 5)..]);
                width = BinaryPrimitives.ReadUInt16BigEndian(data[(i + 7)..]);
                return width > 0 && height > 0;
            }

            i += 2 + length;
        }

        return false;
    }
}
