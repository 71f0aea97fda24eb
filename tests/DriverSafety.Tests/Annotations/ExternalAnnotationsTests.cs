using System.Collections.Immutable;
using System.Text;
using DriverSafety.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace DriverSafety.Tests.Annotations;

/// <summary>
/// External annotations: contracts for members the user cannot edit, from <c>DriverSafety.Annotations.txt</c> (or
/// <c>DriverSafety.Annotations.*.txt</c>) passed as AdditionalFiles, one member per line (documentation-comment id, then
/// its attributes written as in C#). A contract from the file behaves exactly as the attribute written in source; a
/// malformed or unresolvable line is DRV9005 at that line.
/// </summary>
public sealed class ExternalAnnotationsTests
{
    private const string AnnotationsPath = "/0/DriverSafety.Annotations.txt";

    /// <summary>A third-party library without a single DriverSafety attribute (compiled to metadata in the tests).</summary>
    private const string VendorSource = """
        namespace Vendor.Hw
        {
            public sealed class HwLock
            {
                public void Lock() { }
                public void Unlock() { }
            }

            public sealed class Item
            {
            }

            [System.Flags]
            public enum Flags
            {
                None = 0,
                Wait = 1,
                Atomic = 2,
            }

            public sealed class Ring
            {
                public readonly HwLock Lock = new HwLock();
                public int Count;
                public void Push(Item item) { }
            }

            public static class Device
            {
                public static void Reset(int how) { }
                public static byte[] Alloc(int size, Flags flags) => new byte[size];
            }

            public sealed class Dma
            {
                public void Map() { }
                public void Unmap() { }
            }
        }
        """;

    /// <summary>The contracts of <see cref="VendorSource"/>, with comments and blank lines.</summary>
    private const string VendorAnnotations = """
        # Contracts of Vendor.Hw, which ships without DriverSafety attributes.

        T:Vendor.Hw.HwLock [LockType(LockKind.Spinning)]
        M:Vendor.Hw.HwLock.Lock [Acquires]
        M:Vendor.Hw.HwLock.Unlock [Releases]   # releases 'this'
        F:Vendor.Hw.Ring.Count [GuardedBy("Lock")]
        M:Vendor.Hw.Ring.Push(Vendor.Hw.Item) [Requires("this.Lock")]
        M:Vendor.Hw.Device.Reset(System.Int32) [MightSleep]

        T:Vendor.Hw.Flags [AllocationFlags]
        F:Vendor.Hw.Flags.Wait [MaySleepFlag]
        M:Vendor.Hw.Device.Alloc(System.Int32,Vendor.Hw.Flags) [Allocates("flags")]
        M:Vendor.Hw.Dma.Map [Begins("mapping")]
        M:Vendor.Hw.Dma.Unmap [Ends("mapping")]
        """;

    /// <summary>The same library with the same contracts written as attributes, line for line.</summary>
    private const string AnnotatedVendorSource = """
        namespace Vendor.Hw
        {
            [DriverSafety.LockType(DriverSafety.LockKind.Spinning)] public sealed class HwLock
            {
                [DriverSafety.Acquires] public void Lock() { }
                [DriverSafety.Releases] public void Unlock() { }
            }

            public sealed class Item
            {
            }

            [System.Flags, DriverSafety.AllocationFlags]
            public enum Flags
            {
                None = 0,
                [DriverSafety.MaySleepFlag] Wait = 1,
                Atomic = 2,
            }

            public sealed class Ring
            {
                public readonly HwLock Lock = new HwLock();
                [DriverSafety.GuardedBy("Lock")] public int Count;
                [DriverSafety.Requires("this.Lock")] public void Push(Item item) { }
            }

            public static class Device
            {
                [DriverSafety.MightSleep] public static void Reset(int how) { }
                [DriverSafety.Allocates("flags")] public static byte[] Alloc(int size, Flags flags) => new byte[size];
            }

            public sealed class Dma
            {
                [DriverSafety.Begins("mapping")] public void Map() { }
                [DriverSafety.Ends("mapping")] public void Unmap() { }
            }
        }
        """;

    /// <summary>A driver using the library: every family's finding once.</summary>
    private const string DriverSource = """
        using Vendor.Hw;

        public sealed class Driver
        {
            private readonly Ring _ring = new Ring();

            public void Unlocked(Item item)
            {
                _ring.Push(item);
                _ring.Count = 1;
            }

            public void Locked(Item item)
            {
                _ring.Lock.Lock();
                _ring.Push(item);
                _ring.Count = 1;
                _ring.Lock.Unlock();
            }

            public void SleepUnderSpinlock()
            {
                _ring.Lock.Lock();
                Helper();
                Device.Alloc(8, Flags.Wait);
                Device.Alloc(8, Flags.Atomic);
                _ring.Lock.Unlock();
            }

            private static void Helper() => Device.Reset(0);

            public void Leak()
            {
                var dma = new Dma();
                dma.Map();
            }

            public void Balanced()
            {
                var dma = new Dma();
                dma.Map();
                dma.Unmap();
            }

            public void Forgotten()
            {
                _ring.Lock.Lock();
            }
        }
        """;

    private static readonly Lazy<MetadataReference> Vendor = new(() => Library("Vendor.Hw", VendorSource));
    private static readonly Lazy<MetadataReference> AnnotatedVendor = new(() => Library("Vendor.Hw", AnnotatedVendorSource));

    private static VerifyOptions WithVendor(string annotations, string path = AnnotationsPath) => new()
    {
        ExtraReferences = new[] { Vendor.Value },
        AdditionalFiles = new[] { (path, annotations) },
    };

    [Fact]
    public Task Lock_contracts_from_the_file_on_a_referenced_library_give_DRV1001_and_DRV1002() => Verify.Analyzer("""
        using Vendor.Hw;

        public sealed class Driver
        {
            private readonly Ring _ring = new Ring();

            public void Unlocked(Item item)
            {
                {|#0:_ring.Push(item)|};
                {|#1:_ring.Count|} = 1;
            }

            public void Locked(Item item)
            {
                _ring.Lock.Lock();
                _ring.Push(item);
                _ring.Count = 1;
                _ring.Lock.Unlock();
            }
        }
        """,
        WithVendor(VendorAnnotations),
        Verify.Diagnostic("DRV1002").WithLocation(0).WithMessage("Calling 'Push' requires lock '_ring.Lock' held exclusively"),
        Verify.Diagnostic("DRV1001").WithLocation(1).WithMessage("Write of 'Count' requires lock '_ring.Lock' held exclusively"));

    [Fact]
    public Task MightSleep_from_the_file_is_DRV2001_under_a_spinlock_with_the_chain() => Verify.Analyzer("""
        using Vendor.Hw;

        public sealed class Driver
        {
            public void Direct(Ring ring)
            {
                {|#2:ring.Lock.Lock()|};
                {|#0:Device.Reset(1)|};
                ring.Lock.Unlock();
            }

            public void Through(Ring ring)
            {
                {|#3:ring.Lock.Lock()|};
                {|#1:Helper()|};
                ring.Lock.Unlock();
            }

            private static void Helper() => Device.Reset(0);
        }
        """,
        WithVendor(VendorAnnotations),
        Verify.Diagnostic("DRV2001").WithLocation(0).WithLocation(2).WithMessage("'Reset' may sleep ([MightSleep]) while spinning lock 'ring.Lock' is held"),
        Verify.Diagnostic("DRV2001").WithLocation(1).WithLocation(3).WithMessage("'Helper' may sleep through Helper → Device.Reset ([MightSleep]) while spinning lock 'ring.Lock' is held"));

    [Fact]
    public Task LockType_on_a_type_from_the_file_makes_its_instances_locks() => Verify.Analyzer("""
        using Vendor.Hw;

        public sealed class Driver
        {
            public void Forgotten(HwLock hw)
            {
                {|#0:hw.Lock()|};
            {|#2:}|}

            public void Twice(HwLock hw)
            {
                hw.Lock();
                {|#3:hw.Unlock()|};
                {|#1:hw.Unlock()|};
            }
        }
        """,
        WithVendor(VendorAnnotations),
        Verify.Diagnostic("DRV1003").WithLocation(0).WithLocation(2).WithMessage("Lock 'hw' acquired here is still held where 'Forgotten' exits (line 8)"),
        Verify.Diagnostic("DRV1004").WithLocation(1).WithLocation(3).WithMessage("Releasing lock 'hw' that is not held on this path (it was released at line 13)"));

    [Fact]
    public Task Allocates_and_the_flags_enum_from_the_file_decide_whether_an_allocation_sleeps() => Verify.Analyzer("""
        using Vendor.Hw;

        public sealed class Driver
        {
            public void Alloc(Ring ring)
            {
                {|#1:ring.Lock.Lock()|};
                {|#0:Device.Alloc(8, Flags.Wait)|};
                Device.Alloc(8, Flags.Atomic);
                ring.Lock.Unlock();
            }
        }
        """,
        WithVendor(VendorAnnotations),
        Verify.Diagnostic("DRV2001").WithLocation(0).WithLocation(1).WithMessage("'Alloc' may sleep (its flags may contain Flags.Wait) while spinning lock 'ring.Lock' is held"));

    [Fact]
    public Task Begins_and_Ends_from_the_file_give_DRV3001() => Verify.Analyzer("""
        using Vendor.Hw;

        public sealed class Driver
        {
            public void Leak()
            {
                var dma = new Dma();
                {|#0:dma.Map()|};
            {|#1:}|}

            public void Balanced()
            {
                var dma = new Dma();
                dma.Map();
                dma.Unmap();
            }
        }
        """,
        WithVendor(VendorAnnotations),
        Verify.Diagnostic("DRV3001").WithLocation(0).WithLocation(1)
            .WithMessage("'mapping' begun here on 'dma' is still open where 'Leak' exits (line 9): it is on an object this method owns (not stored, not returned)"));

    [Fact]
    public Task A_source_member_without_attributes_is_annotated_from_the_file_and_both_sources_apply() => Verify.Analyzer("""
        public sealed class Port
        {
            public readonly Mutex Gate = new Mutex();
            [GuardedBy("Gate")] public int State;
            public int Other;
            public void Poke() { }
        }

        public static class User
        {
            public static void Use(Port port)
            {
                {|#0:port.Poke()|};
                {|#1:port.State|} = 1;
                {|#2:port.Other|} = 1;
            }
        }
        """,
        new VerifyOptions
        {
            AdditionalFiles = new[] { (AnnotationsPath, """
                M:Port.Poke [Requires("Gate")]
                M:Port.Poke [Excludes("Gate")]  # a second line for one member: both apply, as two attributes would
                F:Port.State [GuardedBy("Gate")]
                F:Port.Other [GuardedBy("Gate", WritesOnly = true)]
                """) },
        },
        Verify.Diagnostic("DRV9002").WithSpan(AnnotationsPath, 2, 14, 2, 30)
            .WithMessage("[Excludes] on 'Poke': lock 'Gate' is also [Requires]d; a caller cannot both hold it and not hold it"),
        Verify.Diagnostic("DRV1002").WithLocation(0).WithMessage("Calling 'Poke' requires lock 'port.Gate' held exclusively"),
        Verify.Diagnostic("DRV1001").WithLocation(1).WithMessage("Write of 'State' requires lock 'port.Gate' held exclusively"),
        Verify.Diagnostic("DRV1001").WithLocation(2).WithMessage("Write of 'Other' requires lock 'port.Gate' held exclusively"));

    [Fact]
    public Task An_unresolvable_lock_expression_in_a_file_line_is_DRV9001_on_that_line() => Verify.Analyzer("""
        public sealed class Port
        {
            public readonly Mutex Gate = new Mutex();
            public void Poke() { }
        }
        """,
        new VerifyOptions
        {
            AdditionalFiles = new[] { (AnnotationsPath, """
                # the lock is called Gate
                M:Port.Poke [MightSleep] [Requires("Gat")]
                """) },
        },
        Verify.Diagnostic("DRV9001").WithSpan(AnnotationsPath, 2, 27, 2, 42)
            .WithMessage("[Requires] on 'Poke': lock expression 'Gat' names nothing: 'Gat' is not 'this', a parameter, a member of 'Port' or a type"));

    [Theory]
    [InlineData("Vendor.Hw.Device.Reset [MightSleep]", "'Vendor.Hw.Device.Reset' is not a documentation-comment id of a type, method, field, property or event ('T:', 'M:', 'F:', 'P:' or 'E:')")]
    [InlineData("[MightSleep]", "the line starts with an attribute; write the member's documentation-comment id first ('M:Ns.Type.Method(System.Int32) [MightSleep]')")]
    [InlineData("M:Vendor.Hw.Device.Reset(System.Int32)", "no attributes after 'M:Vendor.Hw.Device.Reset(System.Int32)'")]
    [InlineData("M:Vendor.Hw.Device.Reset(System.Int32) MightSleep", "expected attributes in brackets after the id, found 'MightSleep' (an id contains no spaces)")]
    [InlineData("M:Vendor.Hw.Device.Reset(System.Int32) [MightSleep", "the attributes do not parse: Syntax error, ']' expected")]
    [InlineData("M:Vendor.Hw.Device.Reset(System.Int32) [MightSleep]]", "the attributes do not parse: Type or namespace definition, or end-of-file expected")]
    [InlineData("M:Vendor.Hw.Device.Reset(System.Int32) [Sleeps]", "unknown attribute 'Sleeps': there is no DriverSafety.SleepsAttribute")]
    [InlineData("M:Vendor.Hw.Device.Reset(System.Int32) [System.Obsolete]", "'System.Obsolete' is not a DriverSafety attribute name")]
    [InlineData("M:Vendor.Hw.Device.Reset(System.Int32) [return: MightSleep]", "attribute target 'return:' is not supported; a parameter is addressed as 'param:name' after the method's id")]
    [InlineData("M:Vendor.Hw.Device.Reset(System.Int32) [Requires(42)]", "[Requires]: '42' is not a constant string")]
    [InlineData("M:Vendor.Hw.Device.Reset(System.Int32) [Requires(\"a\" + \"b\")]", "[Requires]: '\"a\" + \"b\"' is not a constant string")]
    [InlineData("M:Vendor.Hw.Device.Reset(System.Int32) [Requires(Shared = 1)]", "[Requires]: Shared: '1' is not a constant bool")]
    [InlineData("M:Vendor.Hw.Device.Reset(System.Int32) [Requires(Exclusive = true)]", "[Requires] has no settable property 'Exclusive'")]
    [InlineData("M:Vendor.Hw.Device.Reset(System.Int32) [Allocates]", "[Allocates]: argument 'flagsParameter' is missing")]
    [InlineData("T:Vendor.Hw.HwLock [LockType(LockKind.Rusty)]", "[LockType]: 'LockKind.Rusty' is not a member of LockKind (write LockKind.Member)")]
    [InlineData("T:Vendor.Hw.HwLock [MightSleep]", "[MightSleep] cannot be applied to class 'HwLock'")]
    [InlineData("M:Vendor.Hw.Device.Reset(System.Int32) param:when [AcquireContext]", "'Reset' has no parameter named 'when'")]
    [InlineData("M:Vendor.Hw.Device.Reset(System.Int64) [MightSleep]", "'M:Vendor.Hw.Device.Reset(System.Int64)' does not resolve to a member of this compilation or its references")]
    [InlineData("M:Vendor.Hw.Nowhere.Reset [MightSleep]", "'M:Vendor.Hw.Nowhere.Reset' does not resolve to a member of this compilation or its references")]
    public Task A_malformed_line_is_DRV9005_at_the_line_and_contributes_nothing(string line, string reason) => Verify.Analyzer("""
        using Vendor.Hw;

        public sealed class Driver
        {
            public void Fine(Ring ring)
            {
                ring.Lock.Lock();
                Device.Reset(1);
                ring.Lock.Unlock();
            }
        }
        """,
        WithVendor("T:Vendor.Hw.HwLock [LockType(LockKind.Spinning)]\n  " + line + "  \n"),
        Verify.Diagnostic("DRV9005").WithSpan(AnnotationsPath, 2, 3, 2, 3 + line.Length)
            .WithMessage($"DriverSafety.Annotations.txt line 2: {reason}"));

    [Fact]
    public Task The_dotted_file_name_is_read_too_and_an_unrelated_additional_file_is_ignored() => Verify.Analyzer("""
        using Vendor.Hw;

        public sealed class Driver
        {
            public void Direct(Ring ring)
            {
                ring.Lock.Lock();
                {|DRV2001:Device.Reset(1)|};
                ring.Lock.Unlock();
            }
        }
        """,
        new VerifyOptions
        {
            ExtraReferences = new[] { Vendor.Value },
            AdditionalFiles = new[]
            {
                ("/0/DriverSafety.Annotations.Vendor.txt", "T:Vendor.Hw.HwLock [LockType(LockKind.Spinning)]\nM:Vendor.Hw.HwLock.Lock [Acquires]\nM:Vendor.Hw.HwLock.Unlock [Releases]\n"),
                ("/0/DriverSafety.Annotations.Sleep.txt", "M:Vendor.Hw.Device.Reset(System.Int32) [MightSleep]\n"),
                ("/0/BannedSymbols.txt", "M:Vendor.Hw.Device.Reset(System.Int32) [this is not ours]\n"),
                ("/0/Annotations.txt", "garbage [[[\n"),
            },
        });

    [Fact]
    public Task Named_arguments_enums_and_parameter_lines_bind_as_the_compiler_would() => Verify.Analyzer("""
        public sealed class Ww
        {
            public readonly Mutex A = new Mutex();
            public readonly Mutex B = new Mutex();
            public int Lock(WwAcquireContext ctx, Mutex m) { return 0; }
            public void Unlock(Mutex m) { }
            public bool TryTake() => true;

            public void Twice() => {|#0:Unlock(A)|};
        }
        """,
        new VerifyOptions
        {
            AdditionalFiles = new[] { (AnnotationsPath, """
                M:Ww.Lock(WwAcquireContext,Mutex) param:ctx [AcquireContext]
                M:Ww.Lock(WwAcquireContext,Mutex) [TryAcquires(0, "m"), NoAnalysis]
                M:Ww.Unlock(Mutex) [Releases("m")] [NoAnalysis]
                M:Ww.TryTake [DriverSafety.TryAcquires(true, new[] { "A", "B" }, Shared = true)] [global::DriverSafety.NoAnalysisAttribute]
                """) },
        },
        Verify.Diagnostic("DRV1004").WithLocation(0).WithMessage("Releasing lock 'A' that is not held on this path"));

    [Fact]
    public Task A_generic_method_is_named_by_its_id_and_its_constructed_calls_carry_the_contract() => Verify.Analyzer("""
        public static class Hw
        {
            public static T Read<T>(T register) => register;
            public static void Poll<T>(System.Collections.Generic.List<T> queue, ref int budget) { }
        }

        public sealed class Driver
        {
            private readonly SpinLock _lock = new SpinLock();

            public void Irq(System.Collections.Generic.List<string> queue)
            {
                var budget = 4;
                {|#1:_lock.Lock()|};
                {|#0:Hw.Read(42)|};
                {|#2:Hw.Poll(queue, ref budget)|};
                _lock.Unlock();
            }
        }
        """,
        new VerifyOptions
        {
            AdditionalFiles = new[] { (AnnotationsPath, """
                M:Hw.Read``1(``0) [MightSleep]
                M:Hw.Poll``1(System.Collections.Generic.List{``0},System.Int32@) [MightSleep]
                """) },
        },
        Verify.Diagnostic("DRV2001").WithLocation(0).WithLocation(1).WithMessage("'Read' may sleep ([MightSleep]) while spinning lock '_lock' is held"),
        Verify.Diagnostic("DRV2001").WithLocation(2).WithLocation(1).WithMessage("'Poll' may sleep ([MightSleep]) while spinning lock '_lock' is held"));

    [Fact]
    public Task A_declared_lock_order_from_the_file_is_checked_against_the_acquisitions() => Verify.Analyzer("""
        public sealed class Dev
        {
            public readonly Mutex A = new Mutex();
            public readonly Mutex B = new Mutex();

            public void Backwards()
            {
                {|#1:B.Lock()|};
                {|#0:A.Lock()|};
                A.Unlock();
                B.Unlock();
            }
        }
        """,
        new VerifyOptions
        {
            AdditionalFiles = new[] { (AnnotationsPath, """
                F:Dev.A [AcquiredBefore("Dev.B")]
                F:Dev.B [AcquiredAfter("Dev.Nowhere")]
                """) },
        },
        Verify.Diagnostic("DRV9001").WithSpan(AnnotationsPath, 2, 10, 2, 38).WithMessage("[AcquiredAfter] on 'B': lock class 'Dev.Nowhere' names nothing: it is not a lock field or property 'Type.Member', a member of 'Dev', or a type"),
        Verify.Diagnostic("DRV1007").WithLocation(0).WithLocation(1).WithSpan(AnnotationsPath, 1, 10, 1, 33)
            .WithMessage("Lock-order inversion: 'A' (class 'Dev.A') is acquired while 'B' (class 'Dev.B') is held (acquired at line 8), but the declared order puts 'Dev.A' first: [AcquiredBefore] on 'Dev.A' (DriverSafety.Annotations.txt:1) declares 'Dev.A' before 'Dev.B'"));

    [Fact]
    public Task A_cyclic_declared_order_in_the_file_is_reported_at_its_line() => Verify.Analyzer("""
        public sealed class Dev
        {
            public readonly Mutex A = new Mutex();
            public readonly Mutex B = new Mutex();
        }
        """,
        new VerifyOptions
        {
            AdditionalFiles = new[] { (AnnotationsPath, """
                F:Dev.A [AcquiredBefore("Dev.B")]
                F:Dev.B [AcquiredBefore("Dev.A")]
                """) },
        },
        Verify.Diagnostic("DRV1007").WithSpan(AnnotationsPath, 1, 10, 1, 33).WithSpan(AnnotationsPath, 2, 10, 2, 33)
            .WithMessage("Lock-order inversion: the declared lock order is itself cyclic (Dev.A → Dev.B → Dev.A): [AcquiredBefore] on 'Dev.A' (DriverSafety.Annotations.txt:1) declares 'Dev.A' before 'Dev.B'; [AcquiredBefore] on 'Dev.B' (DriverSafety.Annotations.txt:2) declares 'Dev.B' before 'Dev.A'"));

    /// <summary>The same program with its contracts written as attributes or in the file has the same findings.</summary>
    [Fact]
    public async Task Attributes_in_the_library_and_lines_in_the_file_give_identical_findings()
    {
        var withAttributes = await Findings(AnnotatedVendor.Value, annotations: null);
        var withFile = await Findings(Vendor.Value, VendorAnnotations);
        Assert.NotEmpty(withAttributes);
        Assert.Contains(withAttributes, d => d.StartsWith("DRV1002", StringComparison.Ordinal));
        Assert.Contains(withAttributes, d => d.StartsWith("DRV1001", StringComparison.Ordinal));
        Assert.Contains(withAttributes, d => d.StartsWith("DRV2001", StringComparison.Ordinal));
        Assert.Contains(withAttributes, d => d.StartsWith("DRV3001", StringComparison.Ordinal));
        Assert.Contains(withAttributes, d => d.StartsWith("DRV1003", StringComparison.Ordinal));
        Assert.Equal(withAttributes, withFile);
    }

    /// <summary>The same, with the annotated members in the compilation's own source (attributes and lines have the same lines).</summary>
    [Fact]
    public async Task Attributes_in_source_and_lines_in_the_file_give_identical_findings_in_source_too()
    {
        var attributed = await SourceFindings(AnnotatedVendorSource, annotations: null);
        var filed = await SourceFindings(VendorSource, VendorAnnotations);
        Assert.Contains(attributed, d => d.StartsWith("DRV2001", StringComparison.Ordinal));
        Assert.Equal(attributed, filed);
    }

    /// <summary>Hostile input: random and garbled lines never throw and never give anything but DRV9005.</summary>
    [Fact]
    public async Task Garbled_lines_give_only_DRV9005_and_never_an_exception()
    {
        var random = new Random(13);
        var pieces = new[]
        {
            "M:", "T:", "F:", "P:", "E:", "N:", "Vendor.Hw.Device.Reset", "(System.Int32)", "``1", "(``0)", "[", "]", "(", ")", "\"", "\\", "#", " ", "\t",
            "MightSleep", "Requires", "GuardedBy", "LockType", "LockKind.", "Spinning", "=", ",", "new[] {", "}", "null", "true", "-", "99999999999999999999",
            "param:", "return:", "/*", "*/", "//", "@\"", "\u200B", "\uFFFF", "\uD800", "é", "\0", "global::", "DriverSafety.", "::", "<", ">", "{", ";",
            "Begins(\"x\", Target = \"return\")", "#if X", "class", "]]", "[[", "'", "$\"{", "\u2028",
        };
        var text = new StringBuilder();
        for (var line = 0; line < 400; line++)
        {
            var count = random.Next(0, 12);
            for (var i = 0; i < count; i++)
            {
                text.Append(pieces[random.Next(pieces.Length)]);
            }

            text.Append(line % 7 == 0 ? "\r\n" : "\n");
        }

        text.Append(new string('[', 100_000)).Append('\n');
        text.Append("M:Vendor.Hw.Device.Reset(System.Int32) [Requires(" + new string('(', 3000) + "\"x\"" + new string(')', 3000) + ")]\n");
        text.Append("M:Vendor.Hw.Device.Reset(System.Int32) " + string.Concat(Enumerable.Repeat("[MightSleep]", 300)) + "\n");
        text.Append("M:Vendor.Hw.Device.Reset``1(``0) [MightSleep]\n");
        text.Append("M:System.Threading.Monitor.Enter(System.Object) [MightSleep]\n");

        var compilation = AnalyzerRun.Compile("Garbled", new[] { AnalyzerRun.Prelude(), AnalyzerRun.Parse(DriverSource, "Driver.cs") })
            .AddReferences(Vendor.Value);
        var (diagnostics, exceptions) = await AnalyzerRun.AnalyzeAsync(compilation, ImmutableArray.Create<AdditionalText>(
            new TextFile("/garbled/DriverSafety.Annotations.txt", text.ToString()),
            new TextFile("/garbled/DriverSafety.Annotations.empty.txt", string.Empty)));
        Assert.Empty(exceptions);
        var fromFile = diagnostics.Where(d => d.Location.Kind == LocationKind.ExternalFile).ToList();
        Assert.NotEmpty(fromFile);
        Assert.All(fromFile, d => Assert.Equal("DRV9005", d.Id));
        Assert.All(fromFile, d => Assert.StartsWith("DriverSafety.Annotations.txt line ", d.GetMessage(), StringComparison.Ordinal));
        Assert.DoesNotContain(diagnostics, d => d.Location.IsInSource && d.Id != "DRV9003" && d.Id.StartsWith("DRV", StringComparison.Ordinal) && d.Id != "DRV1003");
    }

    private static async Task<List<string>> Findings(MetadataReference vendor, string? annotations)
    {
        var compilation = AnalyzerRun.Compile("Driver", new[] { AnalyzerRun.Prelude(), AnalyzerRun.Parse(DriverSource, "Driver.cs") }).AddReferences(vendor);
        return await Describe(compilation, annotations);
    }

    private static async Task<List<string>> SourceFindings(string vendorSource, string? annotations)
    {
        var compilation = AnalyzerRun.Compile("Driver", new[] { AnalyzerRun.Prelude(), AnalyzerRun.Parse(vendorSource, "Vendor.cs"), AnalyzerRun.Parse(DriverSource, "Driver.cs") });
        return await Describe(compilation, annotations);
    }

    private static async Task<List<string>> Describe(Compilation compilation, string? annotations)
    {
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var files = annotations is null
            ? ImmutableArray<AdditionalText>.Empty
            : ImmutableArray.Create<AdditionalText>(new TextFile("/x/DriverSafety.Annotations.txt", annotations));
        var (diagnostics, exceptions) = await AnalyzerRun.AnalyzeAsync(compilation, files);
        Assert.Empty(exceptions);
        return diagnostics
            .Select(d => $"{d.Id} {Where(d.Location)} [{string.Join("; ", d.AdditionalLocations.Select(Where))}] {d.GetMessage()}")
            .OrderBy(s => s, StringComparer.Ordinal)
            .ToList();
    }

    private static string Where(Location location)
    {
        var span = location.GetLineSpan();
        return $"{Path.GetFileName(span.Path)}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1})";
    }

    private static MetadataReference Library(string name, string source)
    {
        var compilation = AnalyzerRun.Compile(name, new[] { AnalyzerRun.Parse(source, name + ".cs") });
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        return MetadataReference.CreateFromImage(stream.ToArray());
    }

    private sealed class TextFile : AdditionalText
    {
        private readonly SourceText _text;

        public TextFile(string path, string text)
        {
            Path = path;
            _text = SourceText.From(text);
        }

        public override string Path { get; }

        public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
    }
}
