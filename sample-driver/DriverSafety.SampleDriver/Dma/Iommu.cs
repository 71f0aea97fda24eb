using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.Dma;

/// <summary>A stretch of memory to map contiguously in IOVA space: its offset in its first page, and each page's backing.</summary>
internal readonly record struct IovaSegment(int InPageOffset, int Length, Func<int, (byte[] Backing, int Offset)> PageBacking)
{
    public int Pages => (InPageOffset + Length + Page.Size - 1) >> Page.Shift;
}

/// <summary>What kind of mapping a DMA-debug entry tracks.</summary>
internal enum DmaEntryKind
{
    Single,
    ScatterGather,
    Coherent,
    AtomicPool,
}

/// <summary>
/// <c>struct dma_debug_entry</c>: one live mapping, with what was passed to the map call so the unmap can be checked.
/// </summary>
internal sealed class DmaDebugEntry
{
    public DmaDebugEntry(Device dev, DmaEntryKind kind, DmaDataDirection dir, DmaAddr addr, int size, int iovaStart, int iovaPages, DmaAddr[] segmentAddrs, object? owner)
    {
        Dev = dev;
        Kind = kind;
        Dir = dir;
        Addr = addr;
        Size = size;
        IovaStart = iovaStart;
        IovaPages = iovaPages;
        SegmentAddrs = segmentAddrs;
        Owner = owner;
        Site = RuntimeCheck.CallSite();
    }

    public Device Dev { get; }

    public DmaEntryKind Kind { get; }

    public DmaDataDirection Dir { get; }

    public DmaAddr Addr { get; }

    public int Size { get; }

    public int IovaStart { get; }

    public int IovaPages { get; }

    public DmaAddr[] SegmentAddrs { get; }

    public object? Owner { get; }

    public string? Site { get; }

    /// <summary>Whether the driver passed the handle to <see cref="DmaApi.MappingError"/>.</summary>
    public bool MapErrorChecked { get; set; }

    public override string ToString() => $"{Kind} mapping of {Size} bytes at {Addr} ({Dir}) for device {Dev.Name}, mapped at {Site}";
}

/// <summary>
/// An IOMMU with a finite IOVA space of <see cref="TotalPages"/> pages: mappings take contiguous IOVA ranges from a
/// first-fit allocator, so a driver that leaks mappings (seed 000) runs the space dry and its maps start failing
/// with <see cref="DmaApi.DMA_MAPPING_ERROR"/>. It also keeps the DMA-debug table of live mappings and translates
/// device accesses, faulting on unmapped IOVAs and on writes through device-read-only mappings.
/// </summary>
public sealed class Iommu
{
    /// <summary>The first IOVA.</summary>
    public const ulong IovaBase = 0x1_0000_0000;

    private readonly SpinLock _lock;

    [GuardedBy("_lock")]
    private readonly Pte[] _ptes;

    [GuardedBy("_lock")]
    private readonly Dictionary<ulong, DmaDebugEntry> _entries = new();

    [GuardedBy("_lock")]
    private int _hint;

    [GuardedBy("_lock")]
    private int _freePages;

    public Iommu(string name, int iovaPages = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(iovaPages);
        Name = name;
        TotalPages = iovaPages;
        _ptes = new Pte[iovaPages];
        _freePages = iovaPages;
        _lock = new SpinLock("Iommu.Lock");
    }

    public string Name { get; }

    /// <summary>Size of the IOVA space in pages.</summary>
    public int TotalPages { get; }

    /// <summary>IOVA pages not mapped.</summary>
    public int FreePages
    {
        get
        {
            var flags = _lock.LockIrqSave();
            var free = _freePages;
            _lock.UnlockIrqRestore(flags);
            return free;
        }
    }

    /// <summary>Live mappings of every device behind this IOMMU (streaming, coherent and atomic pools).</summary>
    public int MappedCount
    {
        get
        {
            var flags = _lock.LockIrqSave();
            var count = _entries.Count;
            _lock.UnlockIrqRestore(flags);
            return count;
        }
    }

    /// <summary>Maps the segments contiguously; null when the IOVA space has no room.</summary>
    internal DmaDebugEntry? Map(Device dev, DmaEntryKind kind, DmaDataDirection dir, IReadOnlyList<IovaSegment> segments, int size, object? owner)
    {
        var pages = segments.Sum(s => s.Pages);
        if (pages == 0)
        {
            return null;
        }

        var flags = _lock.LockIrqSave();
        var start = AllocIovaLocked(pages);
        if (start < 0)
        {
            _lock.UnlockIrqRestore(flags);
            return null;
        }

        var addrs = new DmaAddr[segments.Count];
        var index = start;
        for (var s = 0; s < segments.Count; s++)
        {
            var segment = segments[s];
            addrs[s] = new DmaAddr(IovaBase + ((ulong)index << Page.Shift) + (ulong)segment.InPageOffset);
            for (var j = 0; j < segment.Pages; j++)
            {
                var (backing, offset) = segment.PageBacking(j);
                _ptes[index++] = new Pte(backing, offset, dir != DmaDataDirection.ToDevice, dir != DmaDataDirection.FromDevice);
            }
        }

        var entry = new DmaDebugEntry(dev, kind, dir, addrs[0], size, start, pages, addrs, owner);
        _entries.Add(entry.Addr.Value, entry);
        _lock.UnlockIrqRestore(flags);
        return entry;
    }

    /// <summary>Points <paramref name="pages"/> IOVA pages of a live mapping at new backing memory (atomic pool hand-out).</summary>
    internal void Repoint(DmaDebugEntry entry, int firstPage, int pages, Func<int, (byte[] Backing, int Offset)> backing)
    {
        var flags = _lock.LockIrqSave();
        for (var j = 0; j < pages; j++)
        {
            var (array, offset) = backing(j);
            var pte = _ptes[entry.IovaStart + firstPage + j];
            _ptes[entry.IovaStart + firstPage + j] = pte with { Backing = array, Offset = offset };
        }

        _lock.UnlockIrqRestore(flags);
    }

    /// <summary>The live mapping that starts at <paramref name="addr"/>, or null.</summary>
    internal DmaDebugEntry? Find(DmaAddr addr)
    {
        var flags = _lock.LockIrqSave();
        _entries.TryGetValue(addr.Value, out var entry);
        _lock.UnlockIrqRestore(flags);
        return entry;
    }

    /// <summary>The live mappings of <paramref name="dev"/>.</summary>
    internal List<DmaDebugEntry> EntriesOf(Device dev)
    {
        var flags = _lock.LockIrqSave();
        var list = _entries.Values.Where(e => ReferenceEquals(e.Dev, dev)).ToList();
        _lock.UnlockIrqRestore(flags);
        return list;
    }

    /// <summary>Removes the mapping and gives its IOVA range back; false if it was not live.</summary>
    internal bool Unmap(DmaDebugEntry entry)
    {
        var flags = _lock.LockIrqSave();
        var removed = _entries.Remove(entry.Addr.Value);
        if (removed)
        {
            for (var i = entry.IovaStart; i < entry.IovaStart + entry.IovaPages; i++)
            {
                _ptes[i] = default;
            }

            _freePages += entry.IovaPages;
        }

        _lock.UnlockIrqRestore(flags);
        return removed;
    }

    /// <summary>
    /// The device accesses <paramref name="length"/> bytes at <paramref name="addr"/>: copies between the IOVA's backing
    /// memory and <paramref name="buffer"/>. Returns false (an IOMMU fault, reported) on an unmapped page or a
    /// permission the mapping's direction does not give.
    /// </summary>
    internal bool Access(Device dev, DmaAddr addr, Span<byte> buffer, bool write)
    {
        var done = 0;
        var flags = _lock.LockIrqSave();
        var ok = true;
        while (done < buffer.Length)
        {
            var iova = addr.Value + (ulong)done;
            var index = iova < IovaBase ? -1L : (long)((iova - IovaBase) >> Page.Shift);
            var pte = index >= 0 && index < _ptes.Length ? _ptes[index] : default;
            if (pte.Backing is null || (write ? !pte.DeviceWrite : !pte.DeviceRead))
            {
                ok = false;
                break;
            }

            var inPage = (int)(iova & (Page.Size - 1));
            var chunk = Math.Min(Page.Size - inPage, buffer.Length - done);
            var at = pte.Offset + inPage;
            chunk = Math.Min(chunk, pte.Backing.Length - at);
            if (chunk <= 0)
            {
                ok = false;
                break;
            }

            if (write)
            {
                buffer.Slice(done, chunk).CopyTo(pte.Backing.AsSpan(at, chunk));
            }
            else
            {
                pte.Backing.AsSpan(at, chunk).CopyTo(buffer.Slice(done, chunk));
            }

            done += chunk;
        }

        _lock.UnlockIrqRestore(flags);
        if (!ok)
        {
            RuntimeCheck.Report(RuntimeViolationKind.IommuFault, $"{Name}: DMA {(write ? "write" : "read")} fault by device {dev.Name} at IOVA 0x{addr.Value + (ulong)done:x}");
        }

        return ok;
    }

    [Requires("_lock")]
    private int AllocIovaLocked(int pages)
    {
        if (pages > _freePages)
        {
            return -1;
        }

        for (var pass = 0; pass < 2; pass++)
        {
            var from = pass == 0 ? _hint : 0;
            var to = pass == 0 ? _ptes.Length : Math.Min(_hint + pages, _ptes.Length);
            var run = 0;
            for (var i = from; i < to; i++)
            {
                run = _ptes[i].Backing is null ? run + 1 : 0;
                if (run == pages)
                {
                    var start = i - pages + 1;
                    _hint = (i + 1) % _ptes.Length;
                    _freePages -= pages;
                    for (var j = start; j <= i; j++)
                    {
                        _ptes[j] = new Pte(Array.Empty<byte>(), 0, false, false);
                    }

                    return start;
                }
            }
        }

        return -1;
    }

    private readonly record struct Pte(byte[]? Backing, int Offset, bool DeviceWrite, bool DeviceRead);
}
