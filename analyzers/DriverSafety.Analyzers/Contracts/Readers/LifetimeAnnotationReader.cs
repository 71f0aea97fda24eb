using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Contracts.Readers
{
    /// <summary>
    /// The lifetime family's annotations (SPEC §3.3): resource and state names, targets, <c>While</c> locks, handles,
    /// <c>CheckedBy</c> methods and <c>Match</c> parameters.
    /// </summary>
    internal sealed class LifetimeAnnotationReader : AnnotationReader
    {
        public LifetimeAnnotationReader(KnownSymbols known, LockExpressionResolver resolver)
            : base(known, resolver)
        {
        }

        public override bool Reads(AttributeData attribute) =>
            KnownSymbols.Is(attribute, Known.Begins) || KnownSymbols.Is(attribute, Known.Ends) || KnownSymbols.Is(attribute, Known.RequiresState) ||
            KnownSymbols.Is(attribute, Known.RequiresNotState) || KnownSymbols.Is(attribute, Known.EnsuresState) ||
            KnownSymbols.Is(attribute, Known.EnsuresNotState) || KnownSymbols.Is(attribute, Known.StateTest);

        public override void Read(AttributeData attribute, ISymbol symbol, OwnAnnotations into, ImmutableArray<AnnotationProblem>.Builder problems)
        {
            var name = attribute.AttributeClass!.Name.Replace("Attribute", string.Empty);

            var isBegins = KnownSymbols.Is(attribute, Known.Begins);
            var isEnds = KnownSymbols.Is(attribute, Known.Ends);
            var isEnsures = KnownSymbols.Is(attribute, Known.EnsuresState) || KnownSymbols.Is(attribute, Known.EnsuresNotState);
            var isRequires = KnownSymbols.Is(attribute, Known.RequiresState) || KnownSymbols.Is(attribute, Known.RequiresNotState);
            var isTest = KnownSymbols.Is(attribute, Known.StateTest);
            if (!(isBegins || isEnds || isEnsures || isRequires || isTest) || attribute.ConstructorArguments.Length != 1)
            {
                return;
            }

            var subject = attribute.ConstructorArguments[0].Value as string;
            if (string.IsNullOrWhiteSpace(subject))
            {
                Report(problems, Descriptors.AnnotationDoesNotResolve, attribute, $"[{name}] on '{symbol.Name}' names no {(isBegins || isEnds ? "resource" : "state")}");
                return;
            }

            var target = Named(attribute, "Target") ?? "this";
            if (Resolver.Resolve(target, symbol, requireLock: false, allowReturn: isBegins || isEnsures, out var problem, out var detail, attribute.ApplicationSyntaxReference) is null)
            {
                Report(problems, Kind(problem), attribute, $"[{name}(\"{subject}\")] on '{symbol.Name}': target {detail.Replace("lock expression", string.Empty).Trim()}");
            }

            if (symbol is not IMethodSymbol method)
            {
                return;
            }

            if (isBegins && Named(attribute, "While") is { } whileLock && Resolver.Resolve(whileLock, symbol, requireLock: true, allowReturn: false, out problem, out detail, attribute.ApplicationSyntaxReference) is null)
            {
                Report(problems, Kind(problem), attribute, $"[{name}(\"{subject}\")] on '{symbol.Name}': While: {detail}");
            }

            if (isBegins && Named(attribute, "Handle") is { } handle)
            {
                CheckHandle(attribute, method, name, subject!, handle, problems);
            }

            if (isBegins && Named(attribute, "CheckedBy") is { } checkedBy && !MethodExists(method, checkedBy, attribute.ApplicationSyntaxReference))
            {
                Report(problems, Descriptors.AnnotationDoesNotResolve, attribute, $"[{name}(\"{subject}\")] on '{symbol.Name}': CheckedBy '{checkedBy}' names no method of '{method.ContainingType?.Name}' or 'Type.Method'");
            }

            if (isEnds && Named(attribute, "Match") is { } match)
            {
                foreach (var parameter in match.Split(',').Select(p => p.Trim()))
                {
                    if (!method.Parameters.Any(p => p.Name == parameter))
                    {
                        Report(problems, Descriptors.AnnotationDoesNotResolve, attribute, $"[{name}(\"{subject}\")] on '{symbol.Name}': Match names '{parameter}', which is not a parameter of '{method.Name}'");
                    }
                }
            }
        }

        private void CheckHandle(AttributeData attribute, IMethodSymbol method, string name, string subject, string handle, ImmutableArray<AnnotationProblem>.Builder problems)
        {
            if (handle == "return")
            {
                if (method.ReturnsVoid)
                {
                    Report(problems, Descriptors.AnnotationDoesNotResolve, attribute, $"[{name}(\"{subject}\")] on '{method.Name}': Handle 'return' names nothing: the method returns void");
                }

                return;
            }

            var parameter = method.Parameters.FirstOrDefault(p => p.Name == handle);
            if (parameter is null)
            {
                Report(problems, Descriptors.AnnotationDoesNotResolve, attribute, $"[{name}(\"{subject}\")] on '{method.Name}': Handle '{handle}' is neither 'return' nor a parameter");
            }
            else if (parameter.RefKind != RefKind.Out)
            {
                Report(problems, Descriptors.AnnotationMisapplied, attribute, $"[{name}(\"{subject}\")] on '{method.Name}': Handle '{handle}' must be an out parameter (or 'return')");
            }
        }

        private bool MethodExists(IMethodSymbol method, string name, SyntaxReference? at)
        {
            var dot = name.LastIndexOf('.');
            if (dot < 0)
            {
                for (var type = method.ContainingType; type is not null; type = type.BaseType)
                {
                    if (type.GetMembers(name).OfType<IMethodSymbol>().Any())
                    {
                        return true;
                    }
                }

                return false;
            }

            var typeName = name.Substring(0, dot);
            var owner = Resolver.ResolveType(typeName, method, at);
            return owner?.GetMembers(name.Substring(dot + 1)).OfType<IMethodSymbol>().Any() == true;
        }
    }
}
