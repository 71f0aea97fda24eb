using DriverSafety.SampleDriver.Kernel;

namespace DriverSafety.SampleDriver.Mm;

/// <summary>
/// Pinning user pages for DMA (<c>FOLL_PIN</c>). <see cref="PinUserPages"/> is the kernel's <c>pin_user_pages</c>:
/// the caller holds <c>mmap_lock</c> for read (it may fault pages in). <see cref="PinUserPagesFast"/> is
/// <c>pin_user_pages_fast</c>: it must be called without <c>mmap_lock</c>, walks the page table locklessly with IRQs
/// off, and takes <c>mmap_lock</c> itself only for the pages it has to fault in. Pinned pages are skipped by reclaim
/// and stay valid until <see cref="UnpinUserPages"/>; they are not guaranteed to stay mapped (seed 003).
/// </summary>
public static class UserPages
{
    /// <summary><c>pin_user_pages</c>: the number of pages pinned (from the start), or a negative errno if none.</summary>
    [MightSleep, Requires("mm.MmapLock", Shared = true)]
    public static int PinUserPages(MmStruct mm, ulong start, int nrPages, Page[] pages) =>
        PinRange(mm, start, nrPages, pages, 0);

    /// <summary><c>pin_user_pages_fast</c>.</summary>
    [MightSleep, Excludes("mm.MmapLock")]
    public static int PinUserPagesFast(MmStruct mm, ulong start, int nrPages, Page[] pages)
    {
        var invalid = Validate(start, nrPages, pages);
        if (invalid != 0)
        {
            return invalid;
        }

        var nr = 0;
        var flags = Irq.LocalSave();
        while (nr < nrPages)
        {
            var page = mm.PinPresent(start + ((ulong)nr << Page.Shift));
            if (page is null)
            {
                break;
            }

            pages[nr++] = page;
        }

        Irq.LocalRestore(flags);
        if (nr == nrPages)
        {
            return nr;
        }

        mm.MmapLock.DownRead();
        var ret = PinRange(mm, start + ((ulong)nr << Page.Shift), nrPages - nr, pages, nr);
        mm.MmapLock.UpRead();
        if (ret < 0)
        {
            return nr > 0 ? nr : ret;
        }

        return nr + ret;
    }

    /// <summary><c>unpin_user_pages</c>.</summary>
    public static void UnpinUserPages(Page[] pages, int nrPages)
    {
        for (var i = 0; i < nrPages; i++)
        {
            pages[i].Unpin();
        }
    }

    /// <summary><c>unpin_user_pages_dirty_lock</c>: marks the pages dirty (the device wrote them) before unpinning.</summary>
    public static void UnpinUserPagesDirtyLock(Page[] pages, int nrPages, bool makeDirty)
    {
        for (var i = 0; i < nrPages; i++)
        {
            if (makeDirty)
            {
                pages[i].Dirty = true;
            }

            pages[i].Unpin();
        }
    }

    [MightSleep, Requires("mm.MmapLock", Shared = true)]
    private static int PinRange(MmStruct mm, ulong start, int nrPages, Page[] pages, int index)
    {
        RuntimeCheck.MightSleep("pin_user_pages");
        mm.MmapLock.AssertHeld();
        if ((start & (Page.Size - 1)) != 0 || nrPages <= 0 || index + nrPages > pages.Length)
        {
            return -Errno.EINVAL;
        }

        for (var i = 0; i < nrPages; i++)
        {
            var address = start + ((ulong)i << Page.Shift);
            var vma = mm.FindVma(address);
            if (vma is null || (vma.VmFlags & (VmFlags.Io | VmFlags.PfnMap)) != 0)
            {
                return i > 0 ? i : -Errno.EFAULT;
            }

            var page = mm.PinPresent(address);
            if (page is null)
            {
                var fault = mm.HandleMmFault(address, write: (vma.VmFlags & VmFlags.Write) != 0);
                if (fault != VmFaultResult.Ok)
                {
                    return i > 0 ? i : fault == VmFaultResult.Oom ? -Errno.ENOMEM : -Errno.EFAULT;
                }

                page = mm.PinPresent(address);
                if (page is null)
                {
                    return i > 0 ? i : -Errno.EFAULT;
                }
            }

            pages[index + i] = page;
        }

        return nrPages;
    }

    private static int Validate(ulong start, int nrPages, Page[] pages)
    {
        if ((start & (Page.Size - 1)) != 0 || nrPages <= 0 || nrPages > pages.Length)
        {
            return -Errno.EINVAL;
        }

        return 0;
    }
}
