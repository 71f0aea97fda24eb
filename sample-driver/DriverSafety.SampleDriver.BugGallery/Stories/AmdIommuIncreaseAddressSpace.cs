// Commit 140456f99419 ("iommu/amd: Fix sleeping in atomic in increase_address_space()"), Andrey Ryabinin, 2021;
// it fixes 754265bcab ("iommu/amd: Fix race in increase_address_space()").
//
// The story. To fix a race, 754265bcab moved the body of increase_address_space() under the protection domain's
// spinlock, taken with IRQs disabled. The body allocates the new page-table level with get_zeroed_page(gfp), and gfp
// is whatever the caller of iommu_map() passed: GFP_KERNEL from VFIO's map ioctl. "BUG: sleeping function called
// from invalid context ... in_atomic(): 1, irqs_disabled(): 1" from vfio_iommu_type1_ioctl → iommu_map →
// amd_iommu_map → iommu_map_page → increase_address_space → get_zeroed_page.
//
// The fix. "Fix this by moving get_zeroed_page() out of spin_lock/unlock section": allocate first, take the lock,
// use the page if it is still needed, free it otherwise.
//
// Rule: DRV2001 at VFIO's call with Gfp.Kernel. The allocation's flags are the method's own parameter, so inside
// increase_address_space() nothing is known; its summary says it sleeps by its flags inside its own IRQs-off section,
// and the caller that passes Gfp.Kernel is where that is decided: the finding names the chain and the section. The
// fixed twin allocates before taking the lock, so the same call is clean. (Until this session it was a known miss of
// the analyzer; the gallery's test asked for it to be pinned the day it was caught.)
using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.BugGallery.AmdIommuIncreaseAddressSpace;

internal static class Buggy
{
    private const int MaxMode = 6;

    internal sealed class ProtectionDomain
    {
        internal readonly SpinLock Lock = new("protection_domain.lock");

        [GuardedBy("Lock")]
        internal int Mode = 3;

        [GuardedBy("Lock")]
        internal byte[]? Root;
    }

    /// <summary>increase_address_space() after 754265bcab: the allocation moved under the lock with the rest.</summary>
    internal static bool IncreaseAddressSpace(ProtectionDomain domain, Gfp gfp)
    {
        var flags = domain.Lock.LockIrqSave();
        if (domain.Mode == MaxMode)
        {
            domain.Lock.UnlockIrqRestore(flags);
            return false;
        }

        var pte = Slab.Kzalloc(Page.Size, gfp);
        domain.Root = pte;
        domain.Mode++;
        domain.Lock.UnlockIrqRestore(flags);
        return true;
    }

    /// <summary>vfio_iommu_type1_ioctl → iommu_map(..., GFP_KERNEL) → amd_iommu_map → iommu_map_page.</summary>
    internal static bool VfioMap(ProtectionDomain domain) => IncreaseAddressSpace(domain, Gfp.Kernel); // DRV2001
}

internal static class Fixed
{
    private const int MaxMode = 6;

    internal sealed class ProtectionDomain
    {
        internal readonly SpinLock Lock = new("protection_domain.lock");

        [GuardedBy("Lock")]
        internal int Mode = 3;

        [GuardedBy("Lock")]
        internal byte[]? Root;
    }

    internal static bool IncreaseAddressSpace(ProtectionDomain domain, Gfp gfp)
    {
        var pte = Slab.Kzalloc(Page.Size, gfp);
        var flags = domain.Lock.LockIrqSave();
        if (domain.Mode == MaxMode)
        {
            domain.Lock.UnlockIrqRestore(flags);
            Slab.Kfree(pte);
            return false;
        }

        domain.Root = pte;
        domain.Mode++;
        domain.Lock.UnlockIrqRestore(flags);
        return true;
    }

    internal static bool VfioMap(ProtectionDomain domain) => IncreaseAddressSpace(domain, Gfp.Kernel);
}
