using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.Dma;

/// <summary>A kernel virtual area (<c>struct vm_struct</c>) that remaps pages, with the page tables built for it.</summary>
internal sealed class VmArea
{
    public VmArea(Page page, byte[][] pageTables)
    {
        Page = page;
        PageTables = pageTables;
    }

    /// <summary>The remapped block; its memory is what the CPU sees through the area.</summary>
    public Page Page { get; }

    /// <summary>The PTE pages <see cref="DmaRemap.MapVmArea"/> allocated.</summary>
    public byte[][] PageTables { get; }

    public byte[] CpuAddr => Page.Data;
}

/// <summary>
/// The common remapping helpers of seed 004 (<c>dma_common_contiguous_remap</c> → <c>map_vm_area</c>): building the
/// kernel page tables of the new mapping allocates them with GFP_KERNEL, whatever flags the caller of
/// <see cref="DmaApi.DmaAllocCoherent"/> passed. So this path may sleep and must only serve blocking allocations.
/// </summary>
internal static class DmaRemap
{
    private const int PtesPerTable = Page.Size / 8;
    private static readonly SpinLock s_vmapAreaLock = new("DmaRemap.VmapAreaLock");

    [GuardedBy("s_vmapAreaLock")]
    private static readonly List<VmArea> s_areas = new();

    /// <summary>Live remapped areas.</summary>
    public static int LiveAreas
    {
        get
        {
            s_vmapAreaLock.Lock();
            var count = s_areas.Count;
            s_vmapAreaLock.Unlock();
            return count;
        }
    }

    /// <summary><c>map_vm_area</c>: allocates the page tables (<c>pte_alloc_kernel</c>, GFP_KERNEL) and records the area.</summary>
    [MightSleep]
    public static VmArea MapVmArea(Page page, int size)
    {
        RuntimeCheck.MightSleep("map_vm_area");
        var ptes = (size + Page.Size - 1) >> Page.Shift;
        var tables = new byte[(ptes + PtesPerTable - 1) / PtesPerTable][];
        for (var i = 0; i < tables.Length; i++)
        {
            tables[i] = Slab.Kmalloc(Page.Size, Gfp.Kernel);
        }

        var area = new VmArea(page, tables);
        s_vmapAreaLock.Lock();
        s_areas.Add(area);
        s_vmapAreaLock.Unlock();
        return area;
    }

    /// <summary><c>vunmap</c>: tears the area down; may sleep (TLB flush, freeing page tables).</summary>
    [MightSleep]
    public static void UnmapVmArea(VmArea area)
    {
        RuntimeCheck.MightSleep("vunmap");
        s_vmapAreaLock.Lock();
        var removed = s_areas.Remove(area);
        s_vmapAreaLock.Unlock();
        if (!removed)
        {
            RuntimeCheck.Report(RuntimeViolationKind.BadFree, "vunmap of an area that is not mapped");
            return;
        }

        foreach (var table in area.PageTables)
        {
            Slab.Kfree(table);
        }
    }
}
