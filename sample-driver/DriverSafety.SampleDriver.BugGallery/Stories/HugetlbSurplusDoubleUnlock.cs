// "[PATCH] mm, hugetlb: Fix a double unlock bug in alloc_surplus_huge_page()", Dan Carpenter, linux-mm, 9 Jan 2018;
// it fixes b27f11e5e675 ("mm, hugetlb: get rid of surplus page accounting tricks").
//
// The story. The hugetlb allocation rework left alloc_surplus_huge_page() with one exit label for every path:
// check the overcommit limit under hugetlb_lock, drop the lock to allocate a fresh huge page (the allocation
// sleeps), retake the lock to account the surplus page, and "out_unlock: spin_unlock(&hugetlb_lock)". When the
// allocation failed, the code jumped to out_unlock too, with the lock already dropped: the spinlock was released a
// second time.
//
// The fix. "We aren't holding the hugetlb_lock so there is no need to unlock": the failed allocation returns NULL
// instead of jumping to the unlock.
//
// Rules: DRV1004 at the unlock reached without the lock on one path, and DRV1009 at the first acquire: at the label
// the lock is held on the paths that come from it, not on the one from the failed allocation.
using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.BugGallery.HugetlbSurplusDoubleUnlock;

internal static class Buggy
{
    internal sealed class Hstate
    {
        internal readonly SpinLock HugetlbLock = new("hugetlb_lock");

        [GuardedBy("HugetlbLock")]
        internal long SurplusHugePages;

        [GuardedBy("HugetlbLock")]
        internal long NrOvercommitHugePages = 8;
    }

    internal static Page? AllocSurplusHugePage(Hstate h, Gfp gfp)
    {
        Page? page = null;
        h.HugetlbLock.Lock(); // DRV1009
        if (h.SurplusHugePages >= h.NrOvercommitHugePages)
        {
            goto out_unlock;
        }

        h.HugetlbLock.Unlock();
        page = PageAlloc.AllocPages(gfp, 9);
        if (page is null)
        {
            goto out_unlock;
        }

        h.HugetlbLock.Lock();
        h.SurplusHugePages++;

    out_unlock:
        h.HugetlbLock.Unlock(); // DRV1004
        return page;
    }
}

internal static class Fixed
{
    internal sealed class Hstate
    {
        internal readonly SpinLock HugetlbLock = new("hugetlb_lock");

        [GuardedBy("HugetlbLock")]
        internal long SurplusHugePages;

        [GuardedBy("HugetlbLock")]
        internal long NrOvercommitHugePages = 8;
    }

    internal static Page? AllocSurplusHugePage(Hstate h, Gfp gfp)
    {
        Page? page = null;
        h.HugetlbLock.Lock();
        if (h.SurplusHugePages >= h.NrOvercommitHugePages)
        {
            goto out_unlock;
        }

        h.HugetlbLock.Unlock();
        page = PageAlloc.AllocPages(gfp, 9);
        if (page is null)
        {
            return null;
        }

        h.HugetlbLock.Lock();
        h.SurplusHugePages++;

    out_unlock:
        h.HugetlbLock.Unlock();
        return page;
    }
}
