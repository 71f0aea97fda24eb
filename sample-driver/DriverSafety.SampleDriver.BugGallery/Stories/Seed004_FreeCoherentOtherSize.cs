// Seed 004: "Re: using DMA-API on ARM", Russell King, LKML, 5 Dec 2014 (the rule he quotes from DMA-API.txt).
//
// The story. RMK's mail starts from the contract of the coherent allocator: "Free a region of consistent memory you
// previously allocated. dev, size and dma_handle must all be the same as those passed into dma_alloc_coherent()."
// The allocator rounds and remaps by size; freed with another size, it unmaps or returns the wrong amount, which
// CONFIG_DMA_API_DEBUG reports as "device driver frees DMA memory with different size". The classic way to break it
// is a probe whose error path frees a buffer by a size computed differently from the one it allocated with.
//
// The fix. Free with the very size (and device and handle) of the allocation: the fixed twin keeps the size in one
// place.
//
// Rule: DRV3003 at the free whose size differs from the allocation's.
using DriverSafety.SampleDriver.Dma;
using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.BugGallery.Seed004FreeCoherentOtherSize;

internal sealed class Nic
{
    internal Nic(Device dev) => Dev = dev;

    internal Device Dev { get; }

    internal byte[]? Ring;

    internal DmaAddr RingHandle;

    internal bool Broken { get; init; }
}

internal static class Buggy
{
    private const int Descriptors = 256;

    private const int DescriptorBytes = 16;

    internal static int Probe(Nic nic)
    {
        var ring = DmaApi.DmaAllocCoherent(nic.Dev, Descriptors * DescriptorBytes + Page.Size, out var handle, Gfp.Kernel);
        if (ring is null)
        {
            return -Errno.ENOMEM;
        }

        if (nic.Broken)
        {
            DmaApi.DmaFreeCoherent(nic.Dev, Descriptors * DescriptorBytes, ring, handle); // DRV3003
            return -Errno.EIO;
        }

        nic.Ring = ring;
        nic.RingHandle = handle;
        return 0;
    }
}

internal static class Fixed
{
    private const int Descriptors = 256;

    private const int DescriptorBytes = 16;

    private const int RingBytes = Descriptors * DescriptorBytes + Page.Size;

    internal static int Probe(Nic nic)
    {
        var ring = DmaApi.DmaAllocCoherent(nic.Dev, RingBytes, out var handle, Gfp.Kernel);
        if (ring is null)
        {
            return -Errno.ENOMEM;
        }

        if (nic.Broken)
        {
            DmaApi.DmaFreeCoherent(nic.Dev, RingBytes, ring, handle);
            return -Errno.EIO;
        }

        nic.Ring = ring;
        nic.RingHandle = handle;
        return 0;
    }
}
