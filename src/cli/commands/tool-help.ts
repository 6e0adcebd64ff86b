/**
 * The usage texts of the mirrored tools' own help forms (`ip help`, `ip link help`, `bpftool prog
 * help`, `ping -h`, ...), in each tool's layout but listing what xdpts emulates. Where they go and
 * the exit status are the real tools' (measured on iproute2 6.x, bpftool 7.x, iputils 2024): ip
 * prints usage on stderr and exits 255, bpftool on stderr with 0, ping on stderr with 2.
 */

/** `ip help`, `ip -help`, `ip` with no object. */
export const IP_USAGE = `Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }
where  OBJECT := { address | help | link | neighbor | neighbour | netns | route }
       OPTIONS := { -s[tatistics] | -j[son] | -p[retty] | -4 | -br[ief] | -n[etns] name |
                    -force }
`;

/** `ip link help`. */
export const IP_LINK_USAGE = `Usage: ip link add [ name ] NAME [ address LLADDR ] [ mtu MTU ] type veth
                   [ peer [ name ] NAME [ netns NSNAME ] ]

       ip link delete { DEVICE | dev DEVICE }

       ip link set { DEVICE | dev DEVICE }
                  [ { up | down } ]
                  [ mtu MTU ]
                  [ netns NAME ]
                  [ { xdp | xdpgeneric | xdpdrv | xdpoffload } { off |
                          object FILE [ { section | program } NAME ] [ verbose ] |
                          pinned FILE } ]

       ip link show [ DEVICE ]

       ip link help
`;

/** `ip address help`. */
export const IP_ADDR_USAGE = `Usage: ip address {add|del} IFADDR dev IFNAME
       ip address {show|list} [ dev IFNAME ]
       ip address flush dev IFNAME
       ip address help
IFADDR := PREFIX [ broadcast ADDR ]
`;

/** `ip route help`. */
export const IP_ROUTE_USAGE = `Usage: ip route { list | show } [ SELECTOR ]
       ip route { add | del } ROUTE
SELECTOR := [ PREFIX ] [ dev STRING ]
ROUTE := NODE_SPEC [ INFO_SPEC ]
NODE_SPEC := [ TYPE ] PREFIX
INFO_SPEC := [ via ADDRESS ] [ dev STRING ]
TYPE := { unicast }
`;

/** `ip neigh help`. */
export const IP_NEIGH_USAGE = `Usage: ip neigh { add | del | replace }
                { ADDR [ lladdr LLADDR ] [ nud STATE ] }
                [ dev DEV ]

	ip neigh { show | flush } [ dev DEV ]

STATE := { permanent | reachable | stale | noarp | none }
`;

/** `ip netns help`. */
export const IP_NETNS_USAGE = `Usage:	ip netns list
	ip netns add NAME
	ip netns delete NAME
	ip netns exec NAME cmd ...
`;

/** `bpftool prog help`. */
export const BPFTOOL_PROG_USAGE = `Usage: bpftool prog { show | list } [PROG]
       bpftool prog pin   PROG FILE
       bpftool prog run PROG \\
                         data_in FILE \\
                         [data_out FILE [data_size_out L]] \\
                         [ctx_in FILE [ctx_out FILE [ctx_size_out M]]] \\
                         [repeat N]
       bpftool prog tracelog
       bpftool prog help

       PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }
       OPTIONS := { {-j|--json} [{-p|--pretty}] }
`;

/** `bpftool map help`. */
export const BPFTOOL_MAP_USAGE = `Usage: bpftool map { show | list }   [MAP]
       bpftool map dump       MAP
       bpftool map update     MAP [key DATA] [value VALUE] [UPDATE_FLAGS]
       bpftool map lookup     MAP [key DATA]
       bpftool map delete     MAP  key DATA
       bpftool map pin        MAP  FILE
       bpftool map event_pipe MAP [cpu N index M]
       bpftool map help

       MAP := { id MAP_ID | pinned FILE | name MAP_NAME }
       DATA := { [hex] BYTES }
       VALUE := { DATA | MAP | PROG }
       UPDATE_FLAGS := { any | exist | noexist }
       OPTIONS := { {-j|--json} [{-p|--pretty}] }
`;

/** `ping -h`. */
export const PING_USAGE = `
Usage
  ping [options] <destination>

Options:
  <destination>      dns name or ip address
  -c <count>         stop after <count> replies
  -D                 print timestamps
  -h                 print help and exit
  -I <interface>     either interface name or address
  -i <interval>      seconds between sending each packet
  -q                 quiet output
  -s <size>          use <size> as number of data bytes to be sent
  -W <timeout>       time to wait for response
  -w <deadline>      reply wait <deadline> in seconds

IPv4 options:
  -4                 use IPv4
`;

/** `bpftool net help` (bpftool 7.1.0); xdpts implements show|list. */
export const BPFTOOL_NET_USAGE = `Usage: bpftool net { show | list } [dev <devname>]
       bpftool net attach ATTACH_TYPE PROG dev <devname> [ overwrite ]
       bpftool net detach ATTACH_TYPE dev <devname>
       bpftool net help

       PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }
       ATTACH_TYPE := { xdp | xdpgeneric | xdpdrv | xdpoffload }
       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-l|--legacy} }

Note: Only xdp and tc attachments are supported now.
      For progs attached to cgroups, use "bpftool cgroup"
      to dump program attachments. For program types
      sk_{filter,skb,msg,reuseport} and lwt/seg6, please
      consult iproute2.
`;
