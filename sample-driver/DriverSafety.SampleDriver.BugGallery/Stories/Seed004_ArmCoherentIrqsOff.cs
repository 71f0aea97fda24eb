// Seed 004: "Re: using DMA-API on ARM", Russell King, LKML, 5 Dec 2014.
//
// The story. DMA-API.txt says dma_free_coherent() may only be called with IRQs enabled, "unlike their sibling
// allocation calls": so dma_alloc_coherent() may be called with IRQs off. Commit 513510ddba96 ("common: dma-mapping:
// introduce common remapping functions") made ARM's allocator remap its pages with map_vm_area(), and e9da6e9905e6
// ("ARM: dma-mapping: remove custom consistent dma region") had already dropped the page tables RMK preallocated for
// that region. map_vm_area() allocates page tables through pud_alloc()/pmd_alloc()/pte_alloc_kernel() without
// GFP_ATOMIC: four calls down, the allocator may sleep with IRQs off, whatever flags the caller passed. Nobody had hit
// the might_sleep() check; RMK found it by reading.
//
// The fix. Memory set aside at boot ("pre-allocating enough DMA coherent memory ... for these horrid cases"): ARM's
// atomic pool serves every caller whose flags do not allow blocking, and only a blocking caller takes the remap path.
// The sample driver's DmaApi.DmaAllocCoherent is that fixed allocator; here the allocator is retold in the driver so
// the chain is visible. Freeing stays a process-context job: the fixed driver frees after restoring IRQs.
//
// Rules: DRV2001 (the sleep four calls down, reported at the call made with IRQs off, with the chain) and DRV2002
// (dma_free_coherent with IRQs disabled).
using DriverSafety.SampleDriver.Dma;
using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.BugGallery.Seed004ArmCoherentIrqsOff;

/// <summary>The ARM allocator as of 513510ddba96, and a driver that uses the API as documented.</summary>
internal static class Buggy
{
    private const int RingBytes = 4 * Page.Size;

    /// <summary>arm_dma_alloc → __alloc_remap_buffer: every caller takes the remap path.</summary>
    internal static byte[]? ArmDmaAlloc(int size, Gfp gfp)
    {
        var page = PageAlloc.AllocPages(gfp, PageAlloc.GetOrder(size));
        return page is null ? null : MapVmArea(page);
    }

    /// <summary>map_vm_area: the page tables come from the page allocator, GFP_KERNEL.</summary>
    private static byte[] MapVmArea(Page page)
    {
        PteAllocKernel();
        return page.Data;
    }

    private static void PteAllocKernel() => Slab.Kzalloc(Page.Size, Gfp.Kernel);

    /// <summary>A NIC refilling its descriptor ring with IRQs off, with GFP_ATOMIC as DMA-API.txt allows.</summary>
    internal static byte[]? RefillRing()
    {
        var flags = Irq.LocalSave();
        var ring = ArmDmaAlloc(RingBytes, Gfp.Atomic); // DRV2001
        Irq.LocalRestore(flags);
        return ring;
    }

    /// <summary>Tearing the ring down from the same IRQs-off section.</summary>
    internal static void DropRing(Device dev, byte[] ring, DmaAddr handle)
    {
        var flags = Irq.LocalSave();
        DmaApi.DmaFreeCoherent(dev, RingBytes, ring, handle); // DRV2002
        Irq.LocalRestore(flags);
    }
}

/// <summary>The atomic pool for callers that may not block; the free after IRQs are back on.</summary>
internal static class Fixed
{
    private const int RingBytes = 4 * Page.Size;

    private static readonly byte[] s_atomicPool = new byte[64 * Page.Size];

    internal static byte[]? ArmDmaAlloc(int size, Gfp gfp)
    {
        if ((gfp & Gfp.DirectReclaim) == 0)
        {
            return PoolAlloc(size);
        }

        var page = PageAlloc.AllocPages(gfp, PageAlloc.GetOrder(size));
        return page is null ? null : MapVmArea(page);
    }

    private static byte[]? PoolAlloc(int size) => size <= s_atomicPool.Length ? new byte[size] : null;

    private static byte[] MapVmArea(Page page)
    {
        PteAllocKernel();
        return page.Data;
    }

    private static void PteAllocKernel() => Slab.Kzalloc(Page.Size, Gfp.Kernel);

    internal static byte[]? RefillRing()
    {
        var flags = Irq.LocalSave();
        var ring = ArmDmaAlloc(RingBytes, Gfp.Atomic);
        Irq.LocalRestore(flags);
        return ring;
    }

    internal static void DropRing(Device dev, byte[] ring, DmaAddr handle)
    {
        var flags = Irq.LocalSave();
        var quiesced = ring.Length != 0;
        Irq.LocalRestore(flags);
        if (quiesced)
        {
            DmaApi.DmaFreeCoherent(dev, RingBytes, ring, handle);
        }
    }
}
