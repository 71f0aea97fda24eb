using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.Dma;

/// <summary>
/// <c>struct device</c> as the DMA API sees it: an IOMMU, and an atomic coherent pool allocated and mapped once at
/// probe time, from which <see cref="DmaApi.DmaAllocCoherent"/> serves callers that may not sleep (seed 004).
/// </summary>
public sealed class Device
{
    /// <summary>Probes a device: allocates and maps its atomic pool, so it may sleep.</summary>
    [MightSleep]
    public Device(string name, Iommu? iommu = null, int atomicPoolPages = 16)
    {
        Name = name;
        Iommu = iommu ?? new Iommu(name + "-iommu");
        AtomicPool = new DmaAtomicPool(this, atomicPoolPages);
    }

    public string Name { get; }

    public Iommu Iommu { get; }

    /// <summary>The coherent memory that non-blocking allocations come from.</summary>
    public DmaAtomicPool AtomicPool { get; }

    /// <summary>Whether <see cref="Release"/> ran.</summary>
    public bool IsReleased { get; private set; }

    /// <summary>Live streaming mappings (single pages and sg tables) of this device.</summary>
    public int StreamingMappingCount => Iommu.EntriesOf(this).Count(e => e.Kind is DmaEntryKind.Single or DmaEntryKind.ScatterGather);

    /// <summary>Live coherent allocations of this device.</summary>
    public int CoherentAllocationCount => DmaApi.CoherentAllocationsOf(this).Count;

    /// <summary>The device writes <paramref name="data"/> to memory at <paramref name="addr"/> (bus mastering); false on an IOMMU fault.</summary>
    public bool DmaWrite(DmaAddr addr, ReadOnlySpan<byte> data)
    {
        var copy = data.ToArray();
        return Iommu.Access(this, addr, copy, write: true);
    }

    /// <summary>The device reads memory at <paramref name="addr"/> into <paramref name="buffer"/>; false on an IOMMU fault.</summary>
    public bool DmaRead(DmaAddr addr, Span<byte> buffer) => Iommu.Access(this, addr, buffer, write: false);

    /// <summary>
    /// Unbinding the driver (<c>device_release_driver</c>): every mapping the driver left behind is reported
    /// ("device driver has pending DMA allocations while released from device") and torn down; then the pool goes.
    /// </summary>
    [MightSleep]
    public void Release()
    {
        if (IsReleased)
        {
            return;
        }

        foreach (var entry in Iommu.EntriesOf(this).Where(e => e.Kind is DmaEntryKind.Single or DmaEntryKind.ScatterGather))
        {
            RuntimeCheck.Report(RuntimeViolationKind.DmaLeak, $"DMA-API: device driver has pending DMA allocations while released from device {Name}: {entry}");
            Iommu.Unmap(entry);
            if (entry.Owner is SgTable sgt && ReferenceEquals(sgt.Mapping, entry))
            {
                sgt.ClearMapping();
            }
        }

        foreach (var allocation in DmaApi.CoherentAllocationsOf(this))
        {
            RuntimeCheck.Report(RuntimeViolationKind.DmaLeak, $"DMA-API: device driver has pending coherent allocations while released from device {Name}: {allocation}");
            DmaApi.FreeCoherentAllocation(allocation);
        }

        AtomicPool.Destroy();
        IsReleased = true;
    }

    /// <inheritdoc />
    public override string ToString() => $"device {Name}";
}

/// <summary>
/// The atomic coherent pool (<c>atomic_pool</c>): pages allocated and mapped at probe time, handed out from a bitmap
/// under a spinlock, so allocating from it never sleeps and works with IRQs disabled.
/// </summary>
public sealed class DmaAtomicPool
{
    private readonly Device _dev;
    private readonly SpinLock _lock = new("DmaAtomicPool.Lock");
    private readonly Page? _pages;
    private readonly int _order;
    private readonly DmaDebugEntry? _mapping;

    private readonly int _poolPages;

    [GuardedBy("_lock")]
    private readonly bool[] _used;

    [MightSleep]
    internal DmaAtomicPool(Device dev, int pages)
    {
        _dev = dev;
        _order = PageAlloc.GetOrder((long)Math.Max(pages, 1) * Page.Size);
        _used = new bool[pages];
        _poolPages = pages;
        if (pages == 0)
        {
            return;
        }

        _pages = PageAlloc.AllocPages(Gfp.Kernel, _order);
        if (_pages is null)
        {
            _used = Array.Empty<bool>();
            _poolPages = 0;
            return;
        }

        var block = _pages;
        var segment = new IovaSegment(0, pages * Page.Size, j => (block.Data, j << Page.Shift));
        _mapping = dev.Iommu.Map(dev, DmaEntryKind.AtomicPool, DmaDataDirection.Bidirectional, new[] { segment }, pages * Page.Size, this);
        if (_mapping is null)
        {
            PageAlloc.FreePages(_pages, _order);
            _pages = null;
            _used = Array.Empty<bool>();
            _poolPages = 0;
        }
    }

    /// <summary>Pages in the pool.</summary>
    public int TotalPages => _poolPages;

    /// <summary>Pages not handed out.</summary>
    public int FreePages
    {
        get
        {
            var flags = _lock.LockIrqSave();
            var free = _used.Count(u => !u);
            _lock.UnlockIrqRestore(flags);
            return free;
        }
    }

    /// <summary>Hands out whole pages covering <paramref name="size"/> bytes; null when the pool is exhausted. Never sleeps.</summary>
    internal CoherentAllocation? Alloc(int size)
    {
        var mapping = _mapping;
        if (mapping is null)
        {
            return null;
        }

        var pages = (size + Page.Size - 1) >> Page.Shift;
        var start = -1;
        var flags = _lock.LockIrqSave();
        for (int i = 0, run = 0; i < _used.Length; i++)
        {
            run = _used[i] ? 0 : run + 1;
            if (run == pages)
            {
                start = i - pages + 1;
                for (var j = start; j <= i; j++)
                {
                    _used[j] = true;
                }

                break;
            }
        }

        _lock.UnlockIrqRestore(flags);
        if (start < 0)
        {
            return null;
        }

        // The CPU view of the handed-out pages: the pool's IOVA pages are pointed at it, so CPU and device share it.
        var cpuAddr = new byte[pages * Page.Size];
        _dev.Iommu.Repoint(mapping, start, pages, j => (cpuAddr, j << Page.Shift));
        var handle = mapping.Addr.Add((long)start << Page.Shift);
        return new CoherentAllocation(_dev, size, handle, cpuAddr, null, 0, this, start, pages);
    }

    internal void Free(CoherentAllocation allocation)
    {
        var mapping = _mapping;
        var block = _pages;
        if (mapping is null || block is null)
        {
            return;
        }

        _dev.Iommu.Repoint(mapping, allocation.PoolStart, allocation.PoolPages, j => (block.Data, (allocation.PoolStart + j) << Page.Shift));
        var flags = _lock.LockIrqSave();
        for (var j = allocation.PoolStart; j < allocation.PoolStart + allocation.PoolPages; j++)
        {
            _used[j] = false;
        }

        _lock.UnlockIrqRestore(flags);
    }

    internal void Destroy()
    {
        if (_mapping is not null)
        {
            _dev.Iommu.Unmap(_mapping);
        }

        if (_pages is not null && !_pages.IsFree)
        {
            PageAlloc.FreePages(_pages, _order);
        }
    }
}

/// <summary>One live <see cref="DmaApi.DmaAllocCoherent"/> allocation.</summary>
internal sealed record CoherentAllocation(
    Device Dev,
    int Size,
    DmaAddr Handle,
    byte[] CpuAddr,
    DmaDebugEntry? Mapping,
    int Order,
    DmaAtomicPool? Pool,
    int PoolStart,
    int PoolPages)
{
    /// <summary>The pages behind a remapped allocation.</summary>
    public Page? Pages { get; init; }

    /// <summary>The kernel virtual area of a remapped allocation.</summary>
    public VmArea? Area { get; init; }

    public override string ToString() => $"coherent allocation of {Size} bytes at {Handle} from {(Pool is null ? "the remap path" : "the atomic pool")}";
}
