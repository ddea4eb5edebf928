import type { ActivityKind, CompanyStatus, DealStage, Industry, Role, SizeRange } from '@acme-examples/crm-contracts';

// The demo's two workspaces: realistic enough to click through, small enough to read.

export const DEMO_PASSWORD = 'demo-password-2026';

export interface SeedUser {
  email: string;
  name: string;
  role: Role;
}

export interface SeedCompany {
  name: string;
  domain: string;
  industry: Industry;
  size: SizeRange;
  status: CompanyStatus;
  employees: number;
  employees90dAgo: number | null;
  contacts: [first: string, last: string, title: string][];
  deals: [title: string, amount: number, stage: DealStage][];
  activity: [kind: ActivityKind, label: string, daysAgo: number] | null;
}

export interface SeedWorkspace {
  name: string;
  slug: string;
  users: SeedUser[];
  companies: SeedCompany[];
}

export const SEED_WORKSPACES: SeedWorkspace[] = [
  {
    name: 'Northwind Traders',
    slug: 'northwind',
    users: [
      { email: 'ada@northwind.test', name: 'Ada Lovelace', role: 'Admin' },
      { email: 'grace@northwind.test', name: 'Grace Hopper', role: 'Operator' },
      { email: 'linus@northwind.test', name: 'Linus Pauling', role: 'Pipeline' },
      { email: 'mary@northwind.test', name: 'Mary Jackson', role: 'Viewer' },
    ],
    companies: [
      {
        name: 'Contoso Robotics',
        domain: 'contoso-robotics.com',
        industry: 'Manufacturing',
        size: '201-1000',
        status: 'Customer',
        employees: 640,
        employees90dAgo: 560,
        contacts: [
          ['Alan', 'Turing', 'CTO'],
          ['Joan', 'Clarke', 'Head of Procurement'],
        ],
        deals: [
          ['Line 4 automation retrofit', 185_000, 'Negotiation'],
          ['Spare parts contract 2027', 42_000, 'Won'],
        ],
        activity: ['Meeting Held', 'On-site review with Alan Turing', 2],
      },
      {
        name: 'Fabrikam Health',
        domain: 'fabrikam.health',
        industry: 'Healthcare',
        size: '1000 or More',
        status: 'Prospect',
        employees: 4_200,
        employees90dAgo: 4_150,
        contacts: [
          ['Florence', 'Nightingale', 'VP Operations'],
          ['Elizabeth', 'Blackwell', 'Chief Medical Officer'],
        ],
        deals: [['Clinic scheduling pilot', 64_000, 'Proposal Sent']],
        activity: ['Email Sent', 'Pilot proposal to Florence Nightingale', 5],
      },
      {
        name: 'Tailspin Logistics',
        domain: 'tailspin.io',
        industry: 'Logistics',
        size: '51-200',
        status: 'Lead',
        employees: 120,
        employees90dAgo: 150,
        contacts: [['Amelia', 'Earhart', 'Founder']],
        deals: [['Fleet tracking', 18_500, 'New']],
        activity: ['Call Logged', 'Intro call with Amelia Earhart', 9],
      },
      {
        name: 'Litware Learning',
        domain: 'litware.edu',
        industry: 'Education',
        size: '11-50',
        status: 'Customer',
        employees: 38,
        employees90dAgo: null,
        contacts: [['Maria', 'Montessori', 'Director']],
        deals: [
          ['Campus licence renewal', 12_000, 'Qualified'],
          ['Teacher onboarding pack', 4_500, 'Lost'],
        ],
        activity: ['Note Added', 'Budget approved for next term', 14],
      },
      {
        name: 'Woodgrove Bank',
        domain: 'woodgrovebank.com',
        industry: 'Financial Services',
        size: '1000 or More',
        status: 'Prospect',
        employees: 12_800,
        employees90dAgo: 12_900,
        contacts: [
          ['Katherine', 'Johnson', 'Head of Risk'],
          ['Dorothy', 'Vaughan', 'IT Director'],
        ],
        deals: [['Risk dashboard', 96_000, 'Qualified']],
        activity: null,
      },
      {
        name: 'Adventure Works Cycles',
        domain: 'adventure-works.com',
        industry: 'Retail',
        size: '201-1000',
        status: 'Churned',
        employees: 310,
        employees90dAgo: 420,
        contacts: [['Edmund', 'Hillary', 'Ecommerce Lead']],
        deals: [],
        activity: ['Email Sent', 'Win-back offer to Edmund Hillary', 30],
      },
    ],
  },
  {
    name: 'Globex Corporation',
    slug: 'globex',
    users: [
      { email: 'hank@globex.test', name: 'Hank Scorpio', role: 'Admin' },
      { email: 'frank@globex.test', name: 'Frank Grimes', role: 'Pipeline' },
      // Ada belongs to both workspaces: the demo's workspace switch.
      { email: 'ada@northwind.test', name: 'Ada Lovelace', role: 'Viewer' },
    ],
    companies: [
      {
        name: 'Initech',
        domain: 'initech.com',
        industry: 'Software',
        size: '51-200',
        status: 'Customer',
        employees: 180,
        employees90dAgo: 150,
        contacts: [
          ['Bill', 'Lumbergh', 'Division VP'],
          ['Peter', 'Gibbons', 'Software Engineer'],
        ],
        deals: [['TPS report automation', 27_000, 'Negotiation']],
        activity: ['Call Logged', 'Call with Bill Lumbergh about TPS reports', 1],
      },
      {
        name: 'Cyberdyne Systems',
        domain: 'cyberdyne.ai',
        industry: 'Manufacturing',
        size: '1000 or More',
        status: 'Prospect',
        employees: 2_900,
        employees90dAgo: 2_100,
        contacts: [['Miles', 'Dyson', 'Director of Special Projects']],
        deals: [['Neural net chip supply', 410_000, 'Proposal Sent']],
        activity: ['Meeting Held', 'Lab tour with Miles Dyson', 4],
      },
      {
        name: 'Umbrella Pharma',
        domain: 'umbrella-pharma.com',
        industry: 'Healthcare',
        size: '1000 or More',
        status: 'Lead',
        employees: 9_000,
        employees90dAgo: 9_100,
        contacts: [['Alexia', 'Ashford', 'Head of Research']],
        deals: [['Cold storage monitoring', 55_000, 'New']],
        activity: null,
      },
    ],
  },
];
