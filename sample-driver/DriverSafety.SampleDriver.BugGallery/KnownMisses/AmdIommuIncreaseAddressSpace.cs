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
// Rule: DRV2001 at the allocation made with the caller's flags inside the IRQs-off section. NOT REPORTED YET: a
// known miss of the analyzer. An allocation whose flags are the method's own parameter, made inside the method's own
// atomic section, is reported neither in the method (the flags are the caller's) nor at a caller that passes
// Gfp.Kernel (the caller is not atomic). The same allocation with a constant Gfp.Kernel is found. The gallery test
// asserts this file stays silent, so the day the analyzer finds it, the test says to pin it.
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

        var pte = Slab.Kzalloc(Page.Size, gfp); // MISSED DRV2001
        domain.Root = pte;
        domain.Mode++;
        domain.Lock.UnlockIrqRestore(flags);
        return true;
    }

    /// <summary>vfio_iommu_type1_ioctl → iommu_map(..., GFP_KERNEL) → amd_iommu_map → iommu_map_page.</summary>
    internal static bool VfioMap(ProtectionDomain domain) => IncreaseAddressSpace(domain, Gfp.Kernel);
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
