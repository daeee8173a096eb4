# A host agent. It runs emulator VMs in its own process and reaches the host's container engine
# through the engine's socket, mounted into the container. Build from the repository root:
#   docker build -f deploy/agent.Dockerfile -t ringmaster-agent .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Agents -c Release -o /out

FROM mcr.microsoft.com/dotnet/runtime:10.0
WORKDIR /app
COPY --from=build /out .
VOLUME /var/lib/ringmaster-agent
ENTRYPOINT ["dotnet", "ringmaster-agent.dll", "--data", "/var/lib/ringmaster-agent"]
