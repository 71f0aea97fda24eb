using DriverSafety.CodeFixes;
using DriverSafety.Tests.Context;
using DriverSafety.Tests.Verification;
using Xunit;

namespace DriverSafety.Tests.CodeFixes;

/// <summary>DRV9003's fixes: declare the sleep with [MightSleep], or with [Allocates("gfp")] where it sleeps only by its flags.</summary>
public sealed class DeclareSleepCodeFixTests
{
    [Fact]
    public Task Adds_MightSleep_before_the_method() => Verify.CodeFix<DeclareSleepCodeFix>("""
        public sealed class Dev
        {
            /// <summary>Waits.</summary>
            public void {|DRV9003:Wait|}() => Sched.Msleep(1);

            [System.Obsolete]
            public void {|DRV9003:Old|}() => Sched.Msleep(1);
        }
        """, """
        public sealed class Dev
        {
            /// <summary>Waits.</summary>
            [MightSleep]
            public void Wait() => Sched.Msleep(1);

            [MightSleep]
            [System.Obsolete]
            public void Old() => Sched.Msleep(1);
        }
        """,
        ContextKernel.Options with { CodeActionEquivalenceKey = DeclareSleepCodeFix.MightSleepKey });

    [Fact]
    public Task Offers_Allocates_where_the_method_sleeps_only_by_its_flags() => Verify.CodeFix<DeclareSleepCodeFix>("""
        using DriverSafety;

        public static class Pool
        {
            public static byte[] {|DRV9003:Grow|}(int size, Gfp gfp) => Slab.Kmalloc(size, gfp);
        }
        """, """
        using DriverSafety;

        public static class Pool
        {
            [Allocates("gfp")]
            public static byte[] Grow(int size, Gfp gfp) => Slab.Kmalloc(size, gfp);
        }
        """,
        ContextKernel.Options with { CodeActionEquivalenceKey = DeclareSleepCodeFix.AllocatesKey, FixedTitle = "Add [Allocates(\"gfp\")] to 'Grow'" });
}
