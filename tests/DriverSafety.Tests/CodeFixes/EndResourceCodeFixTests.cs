using DriverSafety.CodeFixes;
using DriverSafety.Tests.Verification;
using Xunit;
using static DriverSafety.Tests.Lifetimes.LifetimeSources;

namespace DriverSafety.Tests.CodeFixes;

/// <summary>DRV3001's fix: the resource ended on the leaking exit, with the arguments the begin was given where Match needs them.</summary>
public sealed class EndResourceCodeFixTests
{
    [Fact]
    public Task Coherent_buffer_freed_on_the_error_path_with_the_allocation_arguments() => Verify.CodeFix<EndResourceCodeFix>(Api + """
        public static class Coherent
        {
            public static int Run(Device dev, bool bad)
            {
                var buf = {|#0:Dma.AllocCoherent(dev, 4096, out var handle)|};
                if (buf == null)
                    return -Errno.ENOMEM;
                if (bad)
                    {|#1:return -Errno.EINVAL;|}
                Dma.FreeCoherent(dev, 4096, buf, handle);
                return 0;
            }
        }
        """, Api + """
        public static class Coherent
        {
            public static int Run(Device dev, bool bad)
            {
                var buf = Dma.AllocCoherent(dev, 4096, out var handle);
                if (buf == null)
                    return -Errno.ENOMEM;
                if (bad)
                {
                    Dma.FreeCoherent(dev, 4096, buf, handle);
                    return -Errno.EINVAL;
                }
                Dma.FreeCoherent(dev, 4096, buf, handle);
                return 0;
            }
        }
        """,
        new VerifyOptions { CodeActionEquivalenceKey = EndResourceCodeFix.EquivalenceKey, FixedTitle = "End 'coherent' on 'buf' before this exit" },
        Verify.Diagnostic("DRV3001").WithLocation(0).WithLocation(1));

    [Fact]
    public Task Pin_undone_on_the_error_path() => Verify.CodeFix<EndResourceCodeFix>(Api + """
        public static class Vmaps
        {
            public static int Pinned(GemObject obj, bool bad)
            {
                if ({|#0:obj.Pin()|} != 0)
                    return -Errno.ENOMEM;
                if (bad)
                    {|#1:return -Errno.EINVAL;|}
                obj.Unpin();
                return 0;
            }
        }
        """, Api + """
        public static class Vmaps
        {
            public static int Pinned(GemObject obj, bool bad)
            {
                if (obj.Pin() != 0)
                    return -Errno.ENOMEM;
                if (bad)
                {
                    obj.Unpin();
                    return -Errno.EINVAL;
                }
                obj.Unpin();
                return 0;
            }
        }
        """,
        new VerifyOptions { CodeActionEquivalenceKey = EndResourceCodeFix.EquivalenceKey },
        Verify.Diagnostic("DRV3001").WithLocation(0).WithLocation(1));

    [Fact]
    public Task Ended_at_the_closing_brace() => Verify.CodeFix<EndResourceCodeFix>(Api + """
        public static class Coherent
        {
            public static void Run(Device dev)
            {
                var buf = {|#0:Dma.AllocCoherent(dev, 4096, out var handle)|};
                if (buf == null)
                    return;
                buf[0] = 1;
            {|#1:}|}
        }
        """, Api + """
        public static class Coherent
        {
            public static void Run(Device dev)
            {
                var buf = Dma.AllocCoherent(dev, 4096, out var handle);
                if (buf == null)
                    return;
                buf[0] = 1;
                Dma.FreeCoherent(dev, 4096, buf, handle);
            }
        }
        """,
        new VerifyOptions { CodeActionEquivalenceKey = EndResourceCodeFix.EquivalenceKey },
        Verify.Diagnostic("DRV3001").WithLocation(0).WithLocation(1));

    [Fact]
    public Task No_fix_where_a_matched_argument_cannot_be_written_again() => Verify.CodeFix<EndResourceCodeFix>(Api + """
        public static class Coherent
        {
            private static int Size() => 4096;

            public static void Run(Device dev)
            {
                var buf = {|#0:Dma.AllocCoherent(dev, Size(), out var handle)|};
                if (buf == null)
                    return;
                buf[0] = 1;
            {|#1:}|}
        }
        """, Api + """
        public static class Coherent
        {
            private static int Size() => 4096;

            public static void Run(Device dev)
            {
                var buf = {|#0:Dma.AllocCoherent(dev, Size(), out var handle)|};
                if (buf == null)
                    return;
                buf[0] = 1;
            {|#1:}|}
        }
        """,
        Verify.Diagnostic("DRV3001").WithLocation(0).WithLocation(1));
}
