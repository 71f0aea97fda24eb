using DriverSafety.CodeFixes;
using DriverSafety.Tests.Verification;
using Xunit;
using static DriverSafety.Tests.Lifetimes.LifetimeSources;

namespace DriverSafety.Tests.CodeFixes;

/// <summary>DRV3005's fix: the [StateTest] guard before a [RequiresNotState] call, returning an error code the method already uses.</summary>
public sealed class InsertStateGuardCodeFixTests
{
    [Fact]
    public Task Vgem_mmap_returns_an_error_for_an_imported_object() => Verify.CodeFix<InsertStateGuardCodeFix>(Api + """
        public static class Vgem
        {
            public static int Mmap(GemObject? obj, Vma vma)
            {
                if (obj is null)
                {
                    return -Errno.EINVAL;
                }

                var ret = {|#0:obj.Mmap(vma)|};
                return ret;
            }
        }
        """, Api + """
        public static class Vgem
        {
            public static int Mmap(GemObject? obj, Vma vma)
            {
                if (obj is null)
                {
                    return -Errno.EINVAL;
                }

                if (obj.ImportAttach != null)
                {
                    return -Errno.EINVAL;
                }

                var ret = obj.Mmap(vma);
                return ret;
            }
        }
        """,
        new VerifyOptions { CodeActionEquivalenceKey = InsertStateGuardCodeFix.EquivalenceKey, FixedTitle = "Return -Errno.EINVAL if 'obj' is 'imported'" },
        Verify.Diagnostic("DRV3005").WithLocation(0));

    [Fact]
    public Task No_guard_without_an_error_code_to_return() => Verify.CodeFix<InsertStateGuardCodeFix>(Api + """
        public static class Vgem
        {
            public static int Mmap(GemObject obj, Vma vma)
            {
                var ret = {|#0:obj.Mmap(vma)|};
                return ret;
            }
        }
        """, Api + """
        public static class Vgem
        {
            public static int Mmap(GemObject obj, Vma vma)
            {
                var ret = {|#0:obj.Mmap(vma)|};
                return ret;
            }
        }
        """,
        Verify.Diagnostic("DRV3005").WithLocation(0));
}
