using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.Dma;

/// <summary><c>dma_addr_t</c>: an address as the device sees it (an IOVA behind the IOMMU).</summary>
public readonly record struct DmaAddr(ulong Value)
{
    /// <summary>The address <paramref name="offset"/> bytes further.</summary>
    public DmaAddr Add(long offset) => new(Value + (ulong)offset);

    /// <inheritdoc />
    public override string ToString() => $"0x{Value:x}";
}

/// <summary><c>enum dma_data_direction</c>.</summary>
public enum DmaDataDirection
{
    /// <summary><c>DMA_BIDIRECTIONAL</c>.</summary>
    Bidirectional = 0,
    /// <summary><c>DMA_TO_DEVICE</c>: the device only reads.</summary>
    ToDevice = 1,
    /// <summary><c>DMA_FROM_DEVICE</c>: the device only writes.</summary>
    FromDevice = 2,
    /// <summary><c>DMA_NONE</c>: invalid for mapping.</summary>
    None = 3,
}

/// <summary><c>struct scatterlist</c>: one segment of memory and, once mapped, its device address.</summary>
public sealed class ScatterList
{
    internal ScatterList()
    {
    }

    /// <summary><c>sg_page</c>; null until <see cref="SgTable.SetPage"/>.</summary>
    public Page? Page { get; internal set; }

    /// <summary>Byte offset of the segment in <see cref="Page"/>'s block.</summary>
    public int Offset { get; internal set; }

    /// <summary>Length of the segment in bytes.</summary>
    public int Length { get; internal set; }

    /// <summary><c>sg_dma_address</c>: valid for the first <see cref="SgTable.Nents"/> entries while the table is mapped.</summary>
    public DmaAddr DmaAddress { get; internal set; } = DmaApi.DMA_MAPPING_ERROR;

    /// <summary><c>sg_dma_len</c>: the mapped entries can be longer than their CPU segments (the IOMMU merged them).</summary>
    public int DmaLength { get; internal set; }

    /// <summary>For a segment over a run of physically contiguous order-0 pages: every page of the run.</summary>
    internal Page[]? RunPages { get; set; }

    /// <summary>The segment as the IOMMU maps it: its offset in the first page and where each of its pages lives.</summary>
    internal IovaSegment ToIovaSegment()
    {
        var page = Page ?? throw new InvalidOperationException("scatterlist entry without a page");
        var run = RunPages;
        var inPage = Offset & (Page.Size - 1);
        var firstPage = Offset & ~(Page.Size - 1);
        return new IovaSegment(inPage, Length, j => run is null ? (page.Data, firstPage + (j << Page.Shift)) : (run[j].Data, 0));
    }
}

/// <summary>
/// <c>struct sg_table</c>: <see cref="OrigNents"/> CPU segments and, after <see cref="DmaApi.MapSg"/>, <see cref="Nents"/>
/// device segments (fewer when the IOMMU merges). A table carries at most one DMA mapping (seed 000).
/// </summary>
public sealed class SgTable
{
    private readonly ScatterList[] _entries;
    private readonly byte[] _storage;

    private SgTable(int nents, byte[] storage)
    {
        _entries = new ScatterList[nents];
        for (var i = 0; i < nents; i++)
        {
            _entries[i] = new ScatterList();
        }

        _storage = storage;
    }

    /// <summary>Bytes of slab memory one entry takes.</summary>
    public const int EntrySize = 32;

    /// <summary>The CPU segments.</summary>
    public IReadOnlyList<ScatterList> Entries => _entries;

    /// <summary><c>orig_nents</c>.</summary>
    public int OrigNents => _entries.Length;

    /// <summary><c>nents</c>: the number of mapped device segments; 0 while unmapped.</summary>
    public int Nents { get; private set; }

    /// <summary>Whether the table has a DMA mapping (<c>has_dma_mapping</c>).</summary>
    [StateTest("dma-mapping")]
    public bool IsMapped => Mapping is not null;

    /// <summary>The device the table is mapped for.</summary>
    public Device? MappedDevice => Mapping?.Dev;

    /// <summary>The total length of the CPU segments.</summary>
    public long TotalLength => _entries.Sum(e => (long)e.Length);

    internal DmaDebugEntry? Mapping { get; private set; }

    internal bool Freed { get; private set; }

    /// <summary><c>sg_alloc_table</c>: a table of <paramref name="nents"/> empty entries, or null.</summary>
    [Allocates("gfp")]
    [EnsuresNotState("dma-mapping", Target = "return")]
    public static SgTable? Alloc(int nents, Gfp gfp)
    {
        if (nents <= 0)
        {
            return null;
        }

        var storage = Slab.Kmalloc(nents * EntrySize, gfp);
        return new SgTable(nents, storage);
    }

    /// <summary>
    /// <c>sg_alloc_table_from_pages</c>: one entry per run of physically contiguous pages, covering
    /// <paramref name="size"/> bytes from <paramref name="offset"/> in the first page.
    /// </summary>
    [Allocates("gfp")]
    [EnsuresNotState("dma-mapping", Target = "return")]
    public static SgTable? FromPages(Page[] pages, int nPages, int offset, long size, Gfp gfp)
    {
        if (nPages <= 0 || nPages > pages.Length || offset < 0 || offset >= Page.Size || size <= 0 || offset + size > (long)nPages * Page.Size)
        {
            return null;
        }

        var runs = new List<(int First, int Count)>();
        for (var i = 0; i < nPages; i++)
        {
            if (runs.Count > 0 && pages[i].Order == 0 && pages[i - 1].Order == 0 && pages[i].Pfn == pages[i - 1].Pfn + 1)
            {
                runs[^1] = (runs[^1].First, runs[^1].Count + 1);
            }
            else
            {
                runs.Add((i, 1));
            }
        }

        var table = Alloc(runs.Count, gfp);
        if (table is null)
        {
            return null;
        }

        var remaining = size;
        var first = true;
        for (var r = 0; r < runs.Count; r++)
        {
            var start = first ? offset : 0;
            var length = (int)Math.Min(remaining, ((long)runs[r].Count * Page.Size) - start);
            table.SetRun(r, pages, runs[r].First, runs[r].Count, start, length);
            remaining -= length;
            first = false;
        }

        return table;
    }

    /// <summary><c>sg_set_page</c>.</summary>
    public void SetPage(int index, Page page, int length, int offset)
    {
        if (offset < 0 || length <= 0 || offset + length > page.Data.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(length), "segment does not fit in the page block");
        }

        var entry = _entries[index];
        entry.Page = page;
        entry.Offset = offset;
        entry.Length = length;
        entry.RunPages = null;
    }

    /// <summary><c>sg_free_table</c>: the table must not be mapped any more (its mapping would leak).</summary>
    [RequiresNotState("dma-mapping")]
    public void Free()
    {
        if (Mapping is not null)
        {
            RuntimeCheck.Report(RuntimeViolationKind.DmaLeak, $"DMA-API: sg table freed while still mapped for device {Mapping.Dev.Name} at {Mapping.Addr}");
        }

        Freed = true;
        Slab.Kfree(_storage);
    }

    internal void SetMapping(DmaDebugEntry entry, int nents)
    {
        Mapping = entry;
        Nents = nents;
    }

    internal void ClearMapping()
    {
        Mapping = null;
        Nents = 0;
        foreach (var entry in _entries)
        {
            entry.DmaAddress = DmaApi.DMA_MAPPING_ERROR;
            entry.DmaLength = 0;
        }
    }

    private void SetRun(int index, Page[] pages, int first, int count, int offset, int length)
    {
        // A run of contiguous order-0 pages is one segment of the first page's frame: the simulated blocks are
        // separate arrays, so a segment that crosses into the next page keeps the pages in the run list.
        var entry = _entries[index];
        entry.Page = pages[first];
        entry.Offset = offset;
        entry.Length = length;
        entry.RunPages = pages.AsSpan(first, count).ToArray();
    }
}
