using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.Gem;

/// <summary>
/// <c>struct iosys_map</c> over a <c>vmap()</c> of an object's pages: one contiguous kernel view of pages that are
/// scattered in physical memory.
/// </summary>
public sealed class GemVmap
{
    private readonly Page[] _pages;

    internal GemVmap(Page[] pages, long size)
    {
        _pages = pages;
        Size = size;
    }

    /// <summary>The mapped length in bytes.</summary>
    public long Size { get; }

    /// <summary>Whether this mapping still covers exactly <paramref name="pages"/> (the object did not move).</summary>
    internal bool Covers(Page[] pages) => ReferenceEquals(_pages, pages);

    /// <summary><c>iosys_map_memcpy_to</c>.</summary>
    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        CheckRange(offset, data.Length);
        while (!data.IsEmpty)
        {
            var page = _pages[offset >> Page.Shift];
            var inPage = (int)(offset & (Page.Size - 1));
            var n = Math.Min(Page.Size - inPage, data.Length);
            data[..n].CopyTo(page.Data.AsSpan(inPage, n));
            page.Dirty = true;
            data = data[n..];
            offset += n;
        }
    }

    /// <summary><c>iosys_map_memcpy_from</c>.</summary>
    public void Read(long offset, Span<byte> destination)
    {
        CheckRange(offset, destination.Length);
        while (!destination.IsEmpty)
        {
            var page = _pages[offset >> Page.Shift];
            var inPage = (int)(offset & (Page.Size - 1));
            var n = Math.Min(Page.Size - inPage, destination.Length);
            page.Data.AsSpan(inPage, n).CopyTo(destination[..n]);
            destination = destination[n..];
            offset += n;
        }
    }

    private void CheckRange(long offset, int length)
    {
        if (offset < 0 || length < 0 || offset + length > Size)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"access [{offset}, {offset + length}) outside a vmap of {Size} bytes");
        }
    }
}
