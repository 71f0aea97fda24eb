using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts.Annotations;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Contracts.Readers
{
    /// <summary>
    /// The execution-context family's annotations (SPEC §3.2). Their meaning is read by <see cref="ContextContracts"/>;
    /// here each is checked where it is written: <c>[Allocates]</c> names an <c>[AllocationFlags]</c> parameter,
    /// <c>[MasksAllocationFlags]</c> names flags that exist, <c>[MaySleepFlag]</c>/<c>[ReclaimFlag]</c> mark members of an
    /// <c>[AllocationFlags]</c> enum, a method does not declare both halves of a pair, nor both <c>[AtomicContext]</c> and <c>[MightSleep]</c>.
    /// </summary>
    internal sealed class ContextAnnotationReader : AnnotationReader
    {
        private readonly AllocationFlagsModel _flags;

        public ContextAnnotationReader(KnownSymbols known, LockExpressionResolver resolver, AllocationFlagsModel flags)
            : base(known, resolver) => _flags = flags;

        public override bool Reads(Annotation attribute) =>
            KnownSymbols.Is(attribute, Known.Allocates) || KnownSymbols.Is(attribute, Known.MasksAllocationFlags) ||
            KnownSymbols.Is(attribute, Known.MaySleepFlag) || KnownSymbols.Is(attribute, Known.ReclaimFlag) ||
            KnownSymbols.Is(attribute, Known.EntersAtomic) || KnownSymbols.Is(attribute, Known.DisablesIrqs) ||
            KnownSymbols.Is(attribute, Known.AtomicContext);

        public override void Read(Annotation attribute, ISymbol symbol, OwnAnnotations into, ImmutableArray<AnnotationProblem>.Builder problems)
        {
            if (KnownSymbols.Is(attribute, Known.Allocates))
            {
                CheckAllocates(attribute, symbol, problems);
            }
            else if (KnownSymbols.Is(attribute, Known.MasksAllocationFlags))
            {
                CheckMask(attribute, symbol, problems);
            }
            else if (KnownSymbols.Is(attribute, Known.MaySleepFlag) || KnownSymbols.Is(attribute, Known.ReclaimFlag))
            {
                if (symbol is IFieldSymbol field && !_flags.IsFlagsType(field.ContainingType))
                {
                    Report(problems, Descriptors.AnnotationMisapplied, attribute,
                        $"[{attribute.AttributeClass?.Name.Replace("Attribute", string.Empty)}] on '{field.Name}': '{field.ContainingType.Name}' is not an [AllocationFlags] enum");
                }
            }
            else if (KnownSymbols.Is(attribute, Known.AtomicContext))
            {
                // A body that runs in atomic context and is declared to sleep: one of the two is wrong.
                if (symbol is IMethodSymbol atomic && Known.AttributesOf(atomic).Any(a => KnownSymbols.Is(a, Known.MightSleep)))
                {
                    Report(problems, Descriptors.AnnotationMisapplied, attribute,
                        $"[AtomicContext] and [MightSleep] on '{atomic.Name}': a method that runs in atomic context must not sleep");
                }
            }
            else if (symbol is IMethodSymbol method)
            {
                var pair = KnownSymbols.Is(attribute, Known.EntersAtomic) ? Known.ExitsAtomic : Known.EnablesIrqs;
                if (Known.AttributesOf(method).Any(a => KnownSymbols.Is(a, pair)))
                {
                    Report(problems, Descriptors.AnnotationMisapplied, attribute,
                        $"[{attribute.AttributeClass?.Name.Replace("Attribute", string.Empty)}] and [{pair?.Name.Replace("Attribute", string.Empty)}] on '{method.Name}': a method raises or lowers a depth, not both");
                }
            }
        }

        private void CheckAllocates(Annotation attribute, ISymbol symbol, ImmutableArray<AnnotationProblem>.Builder problems)
        {
            if (symbol is not IMethodSymbol method || attribute.ConstructorArguments.Length != 1)
            {
                return;
            }

            var name = attribute.ConstructorArguments[0].Value as string;
            var parameter = method.Parameters.FirstOrDefault(p => p.Name == name);
            if (parameter is null)
            {
                Report(problems, Descriptors.AnnotationDoesNotResolve, attribute, $"[Allocates(\"{name}\")] on '{method.Name}': there is no parameter named '{name}'");
            }
            else if (!_flags.IsFlagsType(parameter.Type))
            {
                Report(problems, Descriptors.AnnotationMisapplied, attribute, $"[Allocates(\"{name}\")] on '{method.Name}': parameter '{name}' is of type '{parameter.Type.ToDisplayString()}', not an [AllocationFlags] enum");
            }
        }

        private void CheckMask(Annotation attribute, ISymbol symbol, ImmutableArray<AnnotationProblem>.Builder problems)
        {
            if (symbol is not IMethodSymbol method || attribute.ConstructorArguments.Length != 1)
            {
                return;
            }

            var names = attribute.ConstructorArguments[0].Value as string ?? string.Empty;
            if (!_flags.ResolveNames(method.ContainingAssembly, names, out _, out var unknown))
            {
                Report(problems, Descriptors.AnnotationDoesNotResolve, attribute,
                    $"[MasksAllocationFlags(\"{names}\")] on '{method.Name}': '{unknown}' is not a flag of an [AllocationFlags] enum of this assembly");
            }
        }
    }
}
