using System.Collections.Concurrent;
using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.Dma;

/// <summary>
/// The DMA API, with <c>CONFIG_DMA_API_DEBUG</c> built in.
/// <para>Contract forms (SPEC 3.3): a single mapping is a resource of its handle: <see cref="MapPage"/> begins
/// <c>"dma-mapping"</c> on its <c>return</c> value (the handle, which must go through <see cref="MappingError"/> before
/// any other use), and <see cref="UnmapPage"/> ends it on its <c>addr</c> argument, matching <c>dev</c>, <c>size</c> and
/// <c>dir</c>. A scatter-gather mapping is a state of the <see cref="SgTable"/>: exclusive, so mapping a mapped table
/// is the double map of seed 000. A coherent allocation is a resource of the returned CPU buffer, its handle carried by
/// the <c>out handle</c> parameter; the free must match device, size and handle.</para>
/// </summary>
public static class DmaApi
{
    /// <summary><c>DMA_MAPPING_ERROR</c>.</summary>
    public static readonly DmaAddr DMA_MAPPING_ERROR = new(ulong.MaxValue);

    private static readonly ConcurrentDictionary<byte[], CoherentAllocation> s_coherent = new(ReferenceEqualityComparer.Instance);

    /// <summary><c>dma_map_page</c>: the handle, or <see cref="DMA_MAPPING_ERROR"/> (check it with <see cref="MappingError"/>).</summary>
    [Begins("dma-mapping", Target = "return", Handle = "return", CheckedBy = "MappingError")]
    public static DmaAddr MapPage(Device dev, Page page, int offset, int size, DmaDataDirection dir)
    {
        if (!ValidDirection(dir) || size <= 0 || offset < 0 || offset + size > page.Data.Length || dev.IsReleased)
        {
            return DMA_MAPPING_ERROR;
        }

        var firstPage = offset & ~(Page.Size - 1);
        var segment = new IovaSegment(offset & (Page.Size - 1), size, j => (page.Data, firstPage + (j << Page.Shift)));
        var entry = dev.Iommu.Map(dev, DmaEntryKind.Single, dir, new[] { segment }, size, page);
        return entry?.Addr ?? DMA_MAPPING_ERROR;
    }

    /// <summary><c>dma_mapping_error</c>: true if the map failed. DMA-API debug remembers that the driver checked.</summary>
    public static bool MappingError(Device dev, DmaAddr addr)
    {
        if (addr == DMA_MAPPING_ERROR)
        {
            return true;
        }

        if (dev.Iommu.Find(addr) is { } entry)
        {
            entry.MapErrorChecked = true;
        }

        return false;
    }

    /// <summary><c>dma_unmap_page</c>: size and direction must be those of the map.</summary>
    [Ends("dma-mapping", Target = "addr", Match = "dev,size,dir")]
    public static void UnmapPage(Device dev, DmaAddr addr, int size, DmaDataDirection dir)
    {
        var entry = dev.Iommu.Find(addr);
        if (entry is null || entry.Kind != DmaEntryKind.Single)
        {
            RuntimeCheck.Report(RuntimeViolationKind.DmaUnmapNotMapped, $"DMA-API: device driver tries to free DMA memory it has not allocated [device {dev.Name}] [device address={addr}] [size={size} bytes]");
            return;
        }

        if (!entry.MapErrorChecked)
        {
            RuntimeCheck.Report(RuntimeViolationKind.DmaMappingErrorNotChecked, $"DMA-API: device driver failed to check map error [device {dev.Name}] [device address={addr}] [size={entry.Size} bytes] [mapped at {entry.Site}]");
        }

        CheckMatch(entry, dev, size, dir, "frees DMA memory");
        dev.Iommu.Unmap(entry);
    }

    /// <summary><c>dma_sync_single_for_cpu</c>.</summary>
    [RequiresState("dma-mapping", Target = "addr")]
    public static void SyncSingleForCpu(Device dev, DmaAddr addr, int size, DmaDataDirection dir) =>
        CheckSync(dev, dev.Iommu.Find(addr), dir, $"single mapping {addr}");

    /// <summary><c>dma_sync_single_for_device</c>.</summary>
    [RequiresState("dma-mapping", Target = "addr")]
    public static void SyncSingleForDevice(Device dev, DmaAddr addr, int size, DmaDataDirection dir) =>
        CheckSync(dev, dev.Iommu.Find(addr), dir, $"single mapping {addr}");

    /// <summary>
    /// <c>dma_map_sg</c>: maps every segment into one IOVA range; segments that meet on page boundaries merge, so the
    /// result (the number of device segments, also in <see cref="SgTable.Nents"/>) can be smaller than
    /// <see cref="SgTable.OrigNents"/>. 0 on failure, with nothing mapped.
    /// </summary>
    [Begins("dma-mapping", Target = "sgt", When = ReturnIs.NonZero)]
    public static int MapSg(Device dev, SgTable sgt, DmaDataDirection dir)
    {
        if (!ValidDirection(dir) || dev.IsReleased || sgt.Freed || sgt.Entries.Any(e => e.Page is null))
        {
            return 0;
        }

        if (sgt.Mapping is { } previous)
        {
            RuntimeCheck.Report(RuntimeViolationKind.DmaDoubleMap, $"DMA-API: device driver maps an sg table that is already mapped: the mapping at {previous.Addr} for device {previous.Dev.Name} (mapped at {previous.Site}) is leaked");
        }

        var segments = sgt.Entries.Select(e => e.ToIovaSegment()).ToArray();
        var entry = dev.Iommu.Map(dev, DmaEntryKind.ScatterGather, dir, segments, (int)Math.Min(int.MaxValue, sgt.TotalLength), sgt);
        if (entry is null)
        {
            return 0;
        }

        var mapped = 0;
        for (var i = 0; i < segments.Length; i++)
        {
            var mergeable = i > 0
                && segments[i].InPageOffset == 0
                && ((segments[i - 1].InPageOffset + segments[i - 1].Length) & (Page.Size - 1)) == 0;
            if (mergeable)
            {
                sgt.Entries[mapped - 1].DmaLength += segments[i].Length;
            }
            else
            {
                sgt.Entries[mapped].DmaAddress = entry.SegmentAddrs[i];
                sgt.Entries[mapped].DmaLength = segments[i].Length;
                mapped++;
            }
        }

        for (var i = mapped; i < sgt.OrigNents; i++)
        {
            sgt.Entries[i].DmaAddress = DMA_MAPPING_ERROR;
            sgt.Entries[i].DmaLength = 0;
        }

        sgt.SetMapping(entry, mapped);
        return mapped;
    }

    /// <summary><c>dma_map_sgtable</c>: 0, or a negative errno with nothing mapped.</summary>
    [Begins("dma-mapping", Target = "sgt", When = ReturnIs.Zero)]
    public static int MapSgtable(Device dev, SgTable sgt, DmaDataDirection dir)
    {
        if (!ValidDirection(dir))
        {
            return -Errno.EINVAL;
        }

        var nents = MapSg(dev, sgt, dir);
        if (nents == 0)
        {
            return -Errno.ENOMEM;
        }

        return 0;
    }

    /// <summary><c>dma_unmap_sg</c>: the device and direction must be those of the map.</summary>
    [Ends("dma-mapping", Target = "sgt", Match = "dev,dir")]
    public static void UnmapSg(Device dev, SgTable sgt, DmaDataDirection dir)
    {
        var entry = sgt.Mapping;
        if (entry is null)
        {
            RuntimeCheck.Report(RuntimeViolationKind.DmaUnmapNotMapped, $"DMA-API: device driver tries to unmap an sg table that is not mapped [device {dev.Name}] [{sgt.OrigNents} entries]");
            return;
        }

        CheckMatch(entry, dev, entry.Size, dir, "unmaps an sg table");
        entry.Dev.Iommu.Unmap(entry);
        sgt.ClearMapping();
    }

    /// <summary><c>dma_unmap_sgtable</c>.</summary>
    [Ends("dma-mapping", Target = "sgt", Match = "dev,dir")]
    public static void UnmapSgtable(Device dev, SgTable sgt, DmaDataDirection dir) => UnmapSg(dev, sgt, dir);

    /// <summary><c>dma_sync_sg_for_cpu</c>: the CPU may look at what the device wrote.</summary>
    [RequiresState("dma-mapping", Target = "sgt")]
    public static void SyncSgForCpu(Device dev, SgTable sgt, DmaDataDirection dir) =>
        CheckSync(dev, sgt.Mapping, dir, $"sg table of {sgt.OrigNents} entries");

    /// <summary><c>dma_sync_sg_for_device</c>: the device may look at what the CPU wrote.</summary>
    [RequiresState("dma-mapping", Target = "sgt")]
    public static void SyncSgForDevice(Device dev, SgTable sgt, DmaDataDirection dir) =>
        CheckSync(dev, sgt.Mapping, dir, $"sg table of {sgt.OrigNents} entries");

    /// <summary>
    /// <c>dma_alloc_coherent</c>: memory both the CPU (the returned buffer, at least <paramref name="size"/> bytes) and
    /// the device (<paramref name="handle"/>) see, or null. As on ARM after seed 004: a caller that may not sleep is
    /// served from the device's atomic pool; only a blocking caller takes the remapping path, which allocates page
    /// tables with GFP_KERNEL (<c>DmaAllocCoherent → RemapAlloc → MapVmArea → Kmalloc(Gfp.Kernel)</c>).
    /// </summary>
    [Allocates("gfp")]
    [Begins("coherent", Target = "return", When = ReturnIs.NonNull, Handle = "handle")]
    public static byte[]? DmaAllocCoherent(Device dev, int size, out DmaAddr handle, Gfp gfp)
    {
        handle = DMA_MAPPING_ERROR;
        if (size <= 0 || dev.IsReleased)
        {
            return null;
        }

        CoherentAllocation? allocation;
        if ((gfp & Gfp.DirectReclaim) != 0)
        {
            allocation = RemapAlloc(dev, size, gfp);
        }
        else
        {
            allocation = dev.AtomicPool.Alloc(size);
        }

        if (allocation is null)
        {
            return null;
        }

        s_coherent[allocation.CpuAddr] = allocation;
        handle = allocation.Handle;
        return allocation.CpuAddr;
    }

    /// <summary>
    /// <c>dma_free_coherent</c>: <paramref name="dev"/>, <paramref name="size"/> and <paramref name="handle"/> must be
    /// those of the allocation, and IRQs must be enabled (the remapped case unmaps, which may sleep).
    /// </summary>
    [MightSleep, RequiresIrqsEnabled]
    [Ends("coherent", Target = "cpuAddr", Match = "dev,size,handle")]
    public static void DmaFreeCoherent(Device dev, int size, byte[] cpuAddr, DmaAddr handle)
    {
        if (Irq.Disabled)
        {
            RuntimeCheck.Report(RuntimeViolationKind.IrqsDisabledCall, $"WARNING: dma_free_coherent called with IRQs disabled [device {dev.Name}] [size={size} bytes]");
        }

        if (!s_coherent.TryGetValue(cpuAddr, out var allocation))
        {
            RuntimeCheck.Report(RuntimeViolationKind.DmaUnmapNotMapped, $"DMA-API: device driver frees coherent memory it has not allocated [device {dev.Name}] [device address={handle}] [size={size} bytes]");
            return;
        }

        if (!ReferenceEquals(allocation.Dev, dev))
        {
            RuntimeCheck.Report(RuntimeViolationKind.DmaMismatchedFree, $"DMA-API: device {dev.Name} frees coherent memory allocated for device {allocation.Dev.Name}");
        }

        if (allocation.Size != size)
        {
            RuntimeCheck.Report(RuntimeViolationKind.DmaMismatchedFree, $"DMA-API: device driver frees DMA memory with different size [device address={allocation.Handle}] [map size={allocation.Size} bytes] [unmap size={size} bytes]");
        }

        if (allocation.Handle != handle)
        {
            RuntimeCheck.Report(RuntimeViolationKind.DmaMismatchedFree, $"DMA-API: device driver frees DMA memory with a different handle [allocated at {allocation.Handle}] [freed as {handle}]");
        }

        FreeCoherentAllocation(allocation);
    }

    /// <summary>Live coherent allocations of every device.</summary>
    public static int CoherentAllocationCount => s_coherent.Count;

    internal static List<CoherentAllocation> CoherentAllocationsOf(Device dev) =>
        s_coherent.Values.Where(a => ReferenceEquals(a.Dev, dev)).ToList();

    [MightSleep]
    internal static void FreeCoherentAllocation(CoherentAllocation allocation)
    {
        if (!s_coherent.TryRemove(allocation.CpuAddr, out _))
        {
            return;
        }

        if (allocation.Pool is { } pool)
        {
            pool.Free(allocation);
            return;
        }

        if (allocation.Mapping is { } mapping)
        {
            allocation.Dev.Iommu.Unmap(mapping);
        }

        if (allocation.Area is { } area)
        {
            DmaRemap.UnmapVmArea(area);
        }

        if (allocation.Pages is { } pages)
        {
            PageAlloc.FreePages(pages, allocation.Order);
        }
    }

    /// <summary>The blocking path: pages from the buddy allocator, remapped (may sleep), then mapped for the device.</summary>
    [Allocates("gfp"), MightSleep]
    private static CoherentAllocation? RemapAlloc(Device dev, int size, Gfp gfp)
    {
        var order = PageAlloc.GetOrder(size);
        var pages = PageAlloc.AllocPages(gfp, order);
        if (pages is null)
        {
            return null;
        }

        var area = DmaRemap.MapVmArea(pages, size);
        var segment = new IovaSegment(0, size, j => (pages.Data, j << Page.Shift));
        var mapping = dev.Iommu.Map(dev, DmaEntryKind.Coherent, DmaDataDirection.Bidirectional, new[] { segment }, size, area.CpuAddr);
        if (mapping is null)
        {
            DmaRemap.UnmapVmArea(area);
            PageAlloc.FreePages(pages, order);
            return null;
        }

        return new CoherentAllocation(dev, size, mapping.Addr, area.CpuAddr, mapping, order, null, 0, 0) { Pages = pages, Area = area };
    }

    private static bool ValidDirection(DmaDataDirection dir) => dir is DmaDataDirection.Bidirectional or DmaDataDirection.ToDevice or DmaDataDirection.FromDevice;

    private static void CheckMatch(DmaDebugEntry entry, Device dev, int size, DmaDataDirection dir, string what)
    {
        if (!ReferenceEquals(entry.Dev, dev))
        {
            RuntimeCheck.Report(RuntimeViolationKind.DmaMismatchedFree, $"DMA-API: device {dev.Name} {what} mapped for device {entry.Dev.Name} [device address={entry.Addr}]");
        }

        if (entry.Size != size)
        {
            RuntimeCheck.Report(RuntimeViolationKind.DmaMismatchedFree, $"DMA-API: device driver {what} with different size [device address={entry.Addr}] [map size={entry.Size} bytes] [unmap size={size} bytes]");
        }

        if (entry.Dir != dir)
        {
            RuntimeCheck.Report(RuntimeViolationKind.DmaMismatchedFree, $"DMA-API: device driver {what} with different direction [device address={entry.Addr}] [mapped as {entry.Dir}] [unmapped as {dir}]");
        }
    }

    private static void CheckSync(Device dev, DmaDebugEntry? entry, DmaDataDirection dir, string what)
    {
        if (entry is null)
        {
            RuntimeCheck.Report(RuntimeViolationKind.DmaSyncInvalid, $"DMA-API: device driver tries to sync DMA memory it has not allocated [device {dev.Name}] [{what}]");
            return;
        }

        if (!ReferenceEquals(entry.Dev, dev))
        {
            RuntimeCheck.Report(RuntimeViolationKind.DmaSyncInvalid, $"DMA-API: device {dev.Name} syncs DMA memory mapped for device {entry.Dev.Name} [{what}]");
        }

        if (entry.Dir != DmaDataDirection.Bidirectional && entry.Dir != dir)
        {
            RuntimeCheck.Report(RuntimeViolationKind.DmaSyncInvalid, $"DMA-API: device driver syncs DMA memory with different direction [{what}] [mapped as {entry.Dir}] [synced as {dir}]");
        }
    }
}
